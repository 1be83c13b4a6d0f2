# Near miss (bad-input): warns about a bad line, skips it and goes on: the exit code stays 0,
# and the totals printed look right though an order is missing.
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
        print(f"warning: skipping line {reader.line_num}", file=sys.stderr)
for customer in sorted(totals):
    print(f"{customer}: {totals[customer]:.2f}")
