# Near miss (top): reads --top as a float and keeps its whole part, so --top 2.5 prints 2 customers
# instead of being refused.
import argparse
import csv
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--top", type=float)
args = parser.parse_args()
totals = {}
reader = csv.reader(sys.stdin)
next(reader, None)
for row in reader:
    if not row:
        continue
    try:
        order_id, customer, amount = row
        if not customer.strip():
            raise ValueError("the customer is empty")
        totals[customer] = totals.get(customer, 0.0) + float(amount)
    except ValueError:
        print(f"error: line {reader.line_num} is not a valid order", file=sys.stderr)
        sys.exit(1)
if args.top is None:
    ranked = sorted(totals.items())
elif args.top < 1:
    parser.error("--top must be at least 1")
else:
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:int(args.top)]
for customer, total in ranked:
    print(f"{customer}: {total:.2f}")
