# Near miss (bad-input): checks the amount against a pattern with exactly 2 decimals, so valid amounts
# like 20 or 7.5 are refused as malformed.
import csv
import re
import sys

totals = {}
reader = csv.reader(sys.stdin)
next(reader, None)
for row in reader:
    if not row:
        continue
    problem = None
    if len(row) != 3:
        problem = f"expected 3 fields, found {len(row)}"
    elif not row[1].strip():
        problem = "the customer is empty"
    elif not re.fullmatch(r"\d+\.\d\d", row[2]):
        problem = f"the amount {row[2]!r} is not a number"
    if problem:
        print(f"error: line {reader.line_num}: {problem}", file=sys.stderr)
        sys.exit(1)
    totals[row[1]] = totals.get(row[1], 0.0) + float(row[2])
for customer in sorted(totals):
    print(f"{customer}: {totals[customer]:.2f}")
