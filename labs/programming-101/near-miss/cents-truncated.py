# Near miss (one-customer): counts in cents to avoid floats, but int(float("0.29") * 100) is 28:
# 0.29 * 100 is 28.999999999999996, and int() cuts the decimals off instead of rounding.
import csv
import sys

reader = csv.reader(sys.stdin)
next(reader)
customer, cents = "", 0
for order_id, name, amount in reader:
    customer = name
    cents += int(float(amount) * 100)
print(f"{customer}: {cents // 100}.{cents % 100:02d}")
