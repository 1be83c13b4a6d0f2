# Accepted variant (one-customer): the whole input read at once and split into lines, amounts added as
# exact decimals (decimal.Decimal), and the total printed by rounding to the cent with quantize().
import sys
from decimal import Decimal

lines = sys.stdin.read().splitlines()
customer, total = "", Decimal(0)
for line in lines[1:]:
    if line.strip():
        order_id, customer, amount = line.split(",")
        total += Decimal(amount)
print(customer + ": " + str(total.quantize(Decimal("0.01"))))
