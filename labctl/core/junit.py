"""JUnit XML, the report format CI systems render: suites of test cases that pass, fail, error or skip."""
from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from labctl.core.text import first_line, printable


@dataclass(frozen=True)
class Case:
    name: str
    classname: str
    seconds: float
    outcome: str = "pass"  # pass | fail | error | skip
    message: str = ""


@dataclass
class Suite:
    name: str
    cases: list[Case] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    output: str = ""  # system-out
    timestamp: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))

    def count(self, outcome: str) -> int:
        return sum(c.outcome == outcome for c in self.cases)

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.cases)


TAGS = {"fail": ("failure", "CheckFailed"), "error": ("error", "Error"), "skip": ("skipped", None)}


def to_xml(name: str, suites: list[Suite]) -> bytes:
    root = ET.Element("testsuites", name=name, tests=str(sum(len(s.cases) for s in suites)),
                      failures=str(sum(s.count("fail") for s in suites)), errors=str(sum(s.count("error") for s in suites)),
                      skipped=str(sum(s.count("skip") for s in suites)), time=f"{sum(s.seconds for s in suites):.3f}")
    host = socket.gethostname()
    for suite in suites:
        element = ET.SubElement(root, "testsuite", name=suite.name, tests=str(len(suite.cases)),
                                failures=str(suite.count("fail")), errors=str(suite.count("error")),
                                skipped=str(suite.count("skip")), time=f"{suite.seconds:.3f}",
                                timestamp=suite.timestamp[:19], hostname=host)
        if suite.properties:
            properties = ET.SubElement(element, "properties")
            for key, value in suite.properties.items():
                ET.SubElement(properties, "property", name=key, value=str(value))
        for case in suite.cases:
            # printable(): a control character in a message or name would make the whole file unparseable.
            item = ET.SubElement(element, "testcase", classname=printable(case.classname), name=printable(case.name),
                                 time=f"{case.seconds:.3f}")
            if case.outcome in TAGS:
                tag, kind = TAGS[case.outcome]
                attributes = {"message": first_line(printable(case.message or ""))[:300]}
                if kind:
                    attributes["type"] = kind
                ET.SubElement(item, tag, attributes).text = printable(case.message) or None
        if suite.output:
            ET.SubElement(element, "system-out").text = printable(suite.output)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
