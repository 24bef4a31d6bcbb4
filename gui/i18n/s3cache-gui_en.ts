<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>s3cache::BucketTreeModel</name>
    <message numerus="yes">
        <source>
%n object(s), %1; newest written %2, oldest %3</source>
        <translation>
            <numerusform>
%n object, %1; newest written %2, oldest %3</numerusform>
            <numerusform>
%n objects, %1; newest written %2, oldest %3</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>s3cache::BucketView</name>
    <message numerus="yes">
        <source>the server sent nothing for %n second(s)</source>
        <translation>
            <numerusform>the server sent nothing for %n second</numerusform>
            <numerusform>the server sent nothing for %n seconds</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Listing cancelled; the tree shows %n object(s) as listed before.</source>
        <translation>
            <numerusform>Listing cancelled; the tree shows %n object as listed before.</numerusform>
            <numerusform>Listing cancelled; the tree shows %n objects as listed before.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Listing %1 failed; the tree shows the %n object(s) listed before the error.</source>
        <translation>
            <numerusform>Listing %1 failed; the tree shows the %n object listed before the error.</numerusform>
            <numerusform>Listing %1 failed; the tree shows the %n objects listed before the error.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n object(s) match, %2 of %3</source>
        <translation>
            <numerusform>%1 of %n object match, %2 of %3</numerusform>
            <numerusform>%1 of %n objects match, %2 of %3</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n object(s), %1</source>
        <translation>
            <numerusform>%n object, %1</numerusform>
            <numerusform>%n objects, %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n cache(s) match, %2 of %3; %4 older than %5</source>
        <translation>
            <numerusform>%1 of %n cache match, %2 of %3; %4 older than %5</numerusform>
            <numerusform>%1 of %n caches match, %2 of %3; %4 older than %5</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n cache(s), %1; %2 older than %3</source>
        <translation>
            <numerusform>%n cache, %1; %2 older than %3</numerusform>
            <numerusform>%n caches, %1; %2 older than %3</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>s3cache::CacheActions</name>
    <message numerus="yes">
        <source>Restored %n file(s) from %1 into %2 in %3.</source>
        <translation>
            <numerusform>Restored %n file from %1 into %2 in %3.</numerusform>
            <numerusform>Restored %n files from %1 into %2 in %3.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>… and %n more</source>
        <translation>
            <numerusform>… and %n more</numerusform>
            <numerusform>… and %n more</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete %n object(s) (%1) from %2?
This cannot be undone; the next CI run rebuilds them.</source>
        <translation>
            <numerusform>Delete %n object (%1) from %2?
This cannot be undone; the next CI run rebuilds them.</numerusform>
            <numerusform>Delete %n objects (%1) from %2?
This cannot be undone; the next CI run rebuilds them.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete %n object(s)</source>
        <translation>
            <numerusform>Delete %n object</numerusform>
            <numerusform>Delete %n objects</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleted %n object(s), freed %1.</source>
        <translation>
            <numerusform>Deleted %n object, freed %1.</numerusform>
            <numerusform>Deleted %n objects, freed %1.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleted %n object(s)</source>
        <translation>
            <numerusform>Deleted %n object</numerusform>
            <numerusform>Deleted %n objects</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleted %1 of %n object(s), freed %2.</source>
        <translation>
            <numerusform>Deleted %1 of %n object, freed %2.</numerusform>
            <numerusform>Deleted %1 of %n objects, freed %2.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Age flush deleted %n object(s)</source>
        <translation>
            <numerusform>Age flush deleted %n object</numerusform>
            <numerusform>Age flush deleted %n objects</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Copied %n line(s) to the clipboard</source>
        <translation>
            <numerusform>Copied %n line to the clipboard</numerusform>
            <numerusform>Copied %n lines to the clipboard</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>s3cache::DetailsPane</name>
    <message numerus="yes">
        <source>Reading the archive: %1 of %2, %n entry(s)</source>
        <translation>
            <numerusform>Reading the archive: %1 of %2, %n entry</numerusform>
            <numerusform>Reading the archive: %1 of %2, %n entries</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n entry(s)%1, %2 unpacked (%3)</source>
        <translation>
            <numerusform>%n entry%1, %2 unpacked (%3)</numerusform>
            <numerusform>%n entries%1, %2 unpacked (%3)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>s3cache::FlushDialog</name>
    <message numerus="yes">
        <source> %n unfinished upload(s) would be aborted.</source>
        <translation>
            <numerusform> %n unfinished upload would be aborted.</numerusform>
            <numerusform> %n unfinished uploads would be aborted.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> Aborted %1 of %n unfinished upload(s).</source>
        <translation>
            <numerusform> Aborted %1 of %n unfinished upload.</numerusform>
            <numerusform> Aborted %1 of %n unfinished uploads.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Listing… %n object(s) scanned</source>
        <translation>
            <numerusform>Listing… %n object scanned</numerusform>
            <numerusform>Listing… %n objects scanned</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n cache(s) would be deleted (%2), %3 kept.</source>
        <translation>
            <numerusform>%1 of %n cache would be deleted (%2), %3 kept.</numerusform>
            <numerusform>%1 of %n caches would be deleted (%2), %3 kept.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>&amp;Delete %n cache(s) (%1)</source>
        <translation>
            <numerusform>&amp;Delete %n cache (%1)</numerusform>
            <numerusform>&amp;Delete %n caches (%1)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleting… %1 of %n object(s)</source>
        <translation>
            <numerusform>Deleting… %1 of %n object</numerusform>
            <numerusform>Deleting… %1 of %n objects</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The flush was cancelled after deleting %n object(s) (%1).</source>
        <translation>
            <numerusform>The flush was cancelled after deleting %n object (%1).</numerusform>
            <numerusform>The flush was cancelled after deleting %n objects (%1).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The flush stopped after deleting %n object(s) (%1).</source>
        <translation>
            <numerusform>The flush stopped after deleting %n object (%1).</numerusform>
            <numerusform>The flush stopped after deleting %n objects (%1).</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleted %n object(s), freed %1.</source>
        <translation>
            <numerusform>Deleted %n object, freed %1.</numerusform>
            <numerusform>Deleted %n objects, freed %1.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> Chunk area %1: %2 in packs, used by %n dedup cache(s).</source>
        <translation>
            <numerusform> Chunk area %1: %2 in packs, used by %n dedup cache.</numerusform>
            <numerusform> Chunk area %1: %2 in packs, used by %n dedup caches.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> %n unused pack(s) (%1) would be deleted.</source>
        <translation>
            <numerusform> %n unused pack (%1) would be deleted.</numerusform>
            <numerusform> %n unused packs (%1) would be deleted.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> %n unused pack(s) (%1) deleted.</source>
        <translation>
            <numerusform> %n unused pack (%1) deleted.</numerusform>
            <numerusform> %n unused packs (%1) deleted.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> %n unused pack(s) (%1) would be condemned: a flush after the grace period deletes them.</source>
        <translation>
            <numerusform> %n unused pack (%1) would be condemned: a flush after the grace period deletes them.</numerusform>
            <numerusform> %n unused packs (%1) would be condemned: a flush after the grace period deletes them.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> %n unused pack(s) (%1) condemned: a flush after the grace period deletes them.</source>
        <translation>
            <numerusform> %n unused pack (%1) condemned: a flush after the grace period deletes them.</numerusform>
            <numerusform> %n unused packs (%1) condemned: a flush after the grace period deletes them.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> %n pack(s) marked damaged by a restore that found a bad chunk: rebuilds store their chunks again.</source>
        <translation>
            <numerusform> %n pack marked damaged by a restore that found a bad chunk: rebuilds store their chunks again.</numerusform><numerusform> %n packs marked damaged by a restore that found a bad chunk: rebuilds store their chunks again.</numerusform></translation>
    </message>
</context>
<context>
    <name>s3cache::JobProgressWidget</name>
    <message numerus="yes">
        <source>%1 of %n object(s)</source>
        <translation>
            <numerusform>%1 of %n object</numerusform>
            <numerusform>%1 of %n objects</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n item(s)</source>
        <translation>
            <numerusform>%n item</numerusform>
            <numerusform>%n items</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>s3cache::MainWindow</name>
    <message numerus="yes">
        <source>%n job(s) still running. Quit and cancel them?</source>
        <translation>
            <numerusform>%n job still running. Quit and cancel them?</numerusform>
            <numerusform>%n jobs still running. Quit and cancel them?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Cancelling %n running job(s) before closing…</source>
        <translation>
            <numerusform>Cancelling %n running job before closing…</numerusform>
            <numerusform>Cancelling %n running jobs before closing…</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>s3cache::ProfileDialog</name>
    <message numerus="yes">
        <source>Connected to %1 (credentials: %2). The first listing page holds %n object(s).</source>
        <translation>
            <numerusform>Connected to %1 (credentials: %2). The first listing page holds %n object.</numerusform>
            <numerusform>Connected to %1 (credentials: %2). The first listing page holds %n objects.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n bucket(s) listed: pick one or type a name.</source>
        <translation>
            <numerusform>%n bucket listed: pick one or type a name.</numerusform>
            <numerusform>%n buckets listed: pick one or type a name.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>s3cache::SpaceChart</name>
    <message numerus="yes">
        <source>%1 in %n object(s)</source>
        <translation>
            <numerusform>%1 in %n object</numerusform>
            <numerusform>%1 in %n objects</numerusform>
        </translation>
    </message>
</context>
</TS>
