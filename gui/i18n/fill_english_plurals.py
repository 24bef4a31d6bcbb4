#!/usr/bin/env python3
"""Fills the English plural forms of s3cache-gui_en.ts from the %n source strings.

The sources write plurals as "%n object(s)", "%n entry(s)" (lupdate -pluralonly collects them);
English has two forms: "object"/"objects", "entry"/"entries". Forms already filled in are kept.
"""
import re
import sys
import xml.etree.ElementTree as ET


def forms(source):
    singular = re.sub(r"y\(s\)", "y", source)
    singular = singular.replace("(s)", "")
    plural = re.sub(r"y\(s\)", "ies", source)
    plural = plural.replace("(s)", "s")
    return singular, plural


def main(path):
    tree = ET.parse(path)
    root = tree.getroot()
    root.set("language", "en")
    for message in root.iter("message"):
        if message.get("numerus") != "yes":
            continue
        source = message.findtext("source")
        translation = message.find("translation")
        if translation is None:
            translation = ET.SubElement(message, "translation")
        existing = [f.text for f in translation.findall("numerusform")]
        if len(existing) == 2 and all(existing) and translation.get("type") != "unfinished":
            continue
        for f in list(translation):
            translation.remove(f)
        translation.attrib.pop("type", None)
        for text in forms(source):
            ET.SubElement(translation, "numerusform").text = text
    with open(path, "wb") as out:
        out.write(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
        tree.write(out, encoding="utf-8", xml_declaration=False)
        out.write(b"\n")


if __name__ == "__main__":
    main(sys.argv[1])
