# programming-101: your program goes here. Python is only a suggestion: any language works
# (tell labctl how to run yours with `labctl config set run "..."`, see the first task).
#
# Try it yourself with:   python3 main.py < one-customer.csv
import sys

for line in sys.stdin:
    # Each line of the input arrives here, one at a time, still ending in "\n".
    pass
