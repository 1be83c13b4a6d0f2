# Near miss (one-customer): the total is printed as Python shows a float: 46.2, not 46.20.
import csv
import sys

reader = csv.reader(sys.stdin)
next(reader)
customer, total = "", 0.0
for order_id, name, amount in reader:
    customer = name
    total += float(amount)
print(f"{customer}: {round(total, 2)}")
