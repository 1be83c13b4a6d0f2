# Near miss (one-customer): removes the line end with line[:-1], which also cuts the last digit of a last
# line that has no line end: "4.05" becomes "4.0".
import sys

customer, total = "", 0.0
for number, line in enumerate(sys.stdin):
    if number == 0:
        continue  # the header
    order_id, name, amount = line[:-1].split(",")
    customer = name
    total += float(amount)
print(f"{customer}: {total:.2f}")
