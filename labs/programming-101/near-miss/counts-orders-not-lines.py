# Near miss (bad-input): numbers the orders from 1, skipping the header: "line 3" for the 4th line
# of the file, one less than the line number an editor shows.
import csv
import sys

totals = {}
reader = csv.reader(sys.stdin)
next(reader, None)
number = 0
for row in reader:
    if not row:
        continue
    number += 1
    try:
        order_id, customer, amount = row
        if not customer:
            raise ValueError("empty customer")
        totals[customer] = totals.get(customer, 0.0) + float(amount)
    except ValueError:
        print(f"error: line {number} is not a valid order", file=sys.stderr)
        sys.exit(1)
for customer in sorted(totals):
    print(f"{customer}: {totals[customer]:.2f}")
