# Near miss (one-customer): the header line is read as an order, and float("amount") fails.
import sys

customer, total = "", 0.0
for line in sys.stdin:
    order_id, name, amount = line.strip().split(",")
    customer = name
    total += float(amount)
print(f"{customer}: {total:.2f}")
