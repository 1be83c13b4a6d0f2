# Near miss (bad-input): handles Windows line ends by turning every \r into a line end, so each line of a
# Windows file counts twice and the error names the wrong line.
import sys

totals = {}
lines = sys.stdin.read().replace("\r", "\n").split("\n")
for number, line in enumerate(lines, start=1):
    if number == 1 or not line.strip():
        continue
    fields = line.split(",")
    try:
        order_id, customer, amount = fields
        if not customer.strip():
            raise ValueError("the customer is empty")
        totals[customer] = totals.get(customer, 0.0) + float(amount)
    except ValueError:
        print(f"error: line {number} is not a valid order", file=sys.stderr)
        sys.exit(1)
for customer in sorted(totals):
    print(f"{customer}: {totals[customer]:.2f}")
