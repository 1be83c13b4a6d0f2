// Near miss (per-customer), in JavaScript: splits the input at "\n" and skips a line only when it is "",
// but a blank line of a Windows file is "\r": it becomes an order without a customer or an amount.
const lines = require("fs").readFileSync(0, "utf8").split("\n");
const totals = new Map();
for (const line of lines.slice(1)) {
  if (line === "") continue;
  const [, name, amount] = line.split(",");
  totals.set(name, (totals.get(name) || 0) + parseFloat(amount));
}
for (const name of [...totals.keys()].sort()) {
  console.log(`${name}: ${totals.get(name).toFixed(2)}`);
}
