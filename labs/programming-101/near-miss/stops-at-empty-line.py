# Near miss (one-customer): waits for an empty line that never comes. At the end of the input
# readline() returns "" (not "\n"), again and again, so the loop never ends.
import sys

sys.stdin.readline()  # the header
customer, total = "", 0.0
while True:
    line = sys.stdin.readline()
    if line == "\n":
        break
    if "," not in line:
        continue
    order_id, name, amount = line.strip().split(",")
    customer = name
    total += float(amount)
print(f"{customer}: {total:.2f}")
