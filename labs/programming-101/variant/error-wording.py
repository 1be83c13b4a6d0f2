# Accepted variant (bad-input): the lines read by hand (no csv module), its own wording for the error
# ("Error on line number 4 -- ..."), and exit code 2 instead of 1.
import sys

totals = {}
for number, line in enumerate(sys.stdin.read().splitlines(), start=1):
    if number == 1 or not line.strip():
        continue
    fields = line.split(",")
    problem = None
    if len(fields) != 3:
        problem = f"an order has 3 fields, this line has {len(fields)}"
    elif not fields[1].strip():
        problem = "no customer"
    else:
        try:
            amount = float(fields[2])
        except ValueError:
            problem = f"{fields[2]!r} is not an amount"
    if problem:
        sys.stderr.write(f"Error on line number {number} -- {problem}\n")
        sys.exit(2)
    totals[fields[1]] = totals.get(fields[1], 0) + amount
for name in sorted(totals):
    print("%s: %.2f" % (name, totals[name]))
