# Near miss (bad-input): stops with exit code 1 on stderr, but the message does not say which line.
import csv
import sys

totals = {}
reader = csv.reader(sys.stdin)
next(reader, None)
for row in reader:
    if not row:
        continue
    try:
        order_id, customer, amount = row
        if not customer:
            raise ValueError("empty customer")
        totals[customer] = totals.get(customer, 0.0) + float(amount)
    except ValueError:
        print("error: the input has a malformed order", file=sys.stderr)
        sys.exit(1)
for customer in sorted(totals):
    print(f"{customer}: {totals[customer]:.2f}")
