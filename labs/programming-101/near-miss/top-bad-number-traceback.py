# Near miss (top): reads --top N from sys.argv by hand; --top abc ends in a traceback that never
# says which option was wrong.
import csv
import sys

top = None
if len(sys.argv) == 3 and sys.argv[1] == "--top":
    top = int(sys.argv[2])

totals = {}
reader = csv.reader(sys.stdin)
next(reader, None)
for row in reader:
    if not row:
        continue
    try:
        order_id, customer, amount = row
        if not customer.strip():
            raise ValueError("empty customer")
        totals[customer] = totals.get(customer, 0.0) + float(amount)
    except ValueError:
        print(f"error: line {reader.line_num} is not a valid order", file=sys.stderr)
        sys.exit(1)

if top is None:
    ranked = sorted(totals.items())
else:
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:top]
for customer, total in ranked:
    print(f"{customer}: {total:.2f}")
