#!/usr/bin/env python3
"""One definition per type name: two classes, structs, unions or enums with the same qualified
name and different definitions break C++'s one-definition rule. The compiler cannot see it (each
file is fine alone) and the linker keeps one copy of their inline members, such as an implicit
destructor, for both types: the other type's objects are then destroyed with the wrong layout.
It happened twice (dedupreader's ArchiveSource beside archiveio's, s3xml's DeleteResult beside
deletejob's) and only a sanitizer build showed it.

    scripts/check-type-names.py [REPO]

Every type defined at namespace scope outside an anonymous namespace in core/, cli/, gui/ and
tests/common/ (linked together) must have a name of its own there; a test file's own types must
not reuse one of those names either (a test executable links core). Exits 1 and names both places
for each clash. A reader of C++ by brace structure, not a compiler: it skips comments, string
and character literals and preprocessor lines, and treats any other braces as a block.
"""

import pathlib
import re
import sys

LEXEMES = re.compile(
    r'R"(?P<delim>[^(\s]*)\((?:.|\n)*?\)(?P=delim)"'  # raw string
    r'|"(?:\\.|[^"\\\n])*"'                           # string
    r"|'(?:\\[^'\n]{1,8}|[^'\\\n])'"                  # character (not a digit separator)
    r'|//[^\n]*'
    r'|/\*(?:.|\n)*?\*/'
    r'|^[ \t]*#(?:[^\n]*\\\n)*[^\n]*',                # preprocessor line, with continuations
    re.MULTILINE)
TEMPLATE_HEAD = re.compile(r'^\s*template\s*<.*?>\s*', re.DOTALL)
NAMESPACE = re.compile(r'^(?:inline\s+)?namespace(?:\s+(?P<name>[\w:]+))?\s*$')
TYPE = re.compile(r'(?:^|\s)(?:class|struct|union)\s+(?:alignas\s*\([^)]*\)\s*)?(?P<name>\w+(?:::\w+)*)'
                  r'\s*(?:final\s*)?(?::(?!:)[^(){}]*)?$')
ENUM = re.compile(r'(?:^|\s)enum\s+(?:class\s+|struct\s+)?(?P<name>\w+)\s*(?::\s*[\w:\s]+)?$')
EXTERN_C = re.compile(r'^extern\s*""\s*$')  # its string was blanked


def blank(match):
    """A literal becomes "", anything else a space; its newlines stay, so line numbers do too."""
    text = match.group(0)
    return ('""' if text.startswith(('"', 'R"')) else ' ') + '\n' * text.count('\n')


def definitions(path):
    """(qualified name, line) of every type defined at namespace scope outside `namespace {}`."""
    text = LEXEMES.sub(blank, path.read_text(encoding='utf-8', errors='replace'))
    stack = []  # per open brace: ('ns', name) | ('anon',) | ('extern',) | ('other',)
    found = []
    last = 0
    for m in re.finditer(r'[{};]', text):
        if m.group() == '{':
            head = TEMPLATE_HEAD.sub('', text[last:m.start()]).strip()
            outer = all(s[0] in ('ns', 'extern') for s in stack)
            if ns := NAMESPACE.match(head):
                stack.append(('ns', ns.group('name')) if ns.group('name') else ('anon',))
            elif EXTERN_C.match(head):
                stack.append(('extern',))
            else:
                t = TYPE.search(head) or ENUM.search(head)
                if t and outer and '::' not in t.group('name'):  # not a nested one, defined out of line
                    scope = [s[1] for s in stack if s[0] == 'ns']
                    found.append(('::'.join(scope + [t.group('name')]), text.count('\n', 0, m.start()) + 1))
                stack.append(('other',))
        elif m.group() == '}' and stack:
            stack.pop()
        last = m.end()
    return found


def main():
    repo = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    sources = lambda *dirs: sorted(p for d in dirs for p in (repo / d).rglob('*') if p.suffix in ('.h', '.cpp'))
    shared = {}  # name -> "path:line" of its first definition
    clashes = []

    def add(table, path, name, line):
        place = f'{path.relative_to(repo)}:{line}'
        first = table.get(name)
        if first is None:
            table[name] = place
        elif first.split(':')[0] != place.split(':')[0]:
            clashes.append(f'{name}: defined in {first} and in {place}')

    for path in sources('core', 'cli', 'gui', 'tests/common'):
        for name, line in definitions(path):
            add(shared, path, name, line)
    for path in sources('tests'):
        if path.is_relative_to(repo / 'tests/common') or 'node_modules' in path.parts:
            continue
        own = dict(shared)
        for name, line in definitions(path):
            add(own, path, name, line)
    for clash in clashes:
        print(f'one-definition rule: {clash}; rename one (or put it in an anonymous namespace)')
    print(f'{len(shared)} shared type names checked; {len(clashes)} clashes')
    return 1 if clashes else 0


if __name__ == '__main__':
    sys.exit(main())
