"""dpkg's status file as linux.package reads it."""
from labctl.check_families.linux.packages import dpkg_status

TEXT = """Package: jq
Status: install ok unpacked
Version: 1.6-2.1+deb12u2
Description: lightweight JSON processor
 jq is like sed for JSON data

Package: tree
Status: install ok installed
Version: 2.1.0-1
"""


def test_stanzas_by_package():
    found = dpkg_status(TEXT)
    assert found["jq"]["Status"] == "install ok unpacked"
    assert found["jq"]["Description"].endswith("\njq is like sed for JSON data")
    assert found["tree"]["Version"] == "2.1.0-1"
    assert "sl" not in found
