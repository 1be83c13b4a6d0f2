// Near miss (bad-input), in JavaScript: parseFloat reads the number at the start of the text and ignores
// the rest, so "12.50EUR" is taken as 12.5 instead of being refused.
const lines = require("fs").readFileSync(0, "utf8").split(/\r?\n/);
const totals = new Map();
for (let i = 1; i < lines.length; i++) {
  if (lines[i].trim() === "") continue;
  const fields = lines[i].split(",");
  const amount = parseFloat(fields[2]);
  let problem = null;
  if (fields.length !== 3) problem = `expected 3 fields, found ${fields.length}`;
  else if (fields[1].trim() === "") problem = "the customer is empty";
  else if (Number.isNaN(amount)) problem = `the amount "${fields[2]}" is not a number`;
  if (problem) {
    console.error(`error: line ${i + 1}: ${problem}`);
    process.exit(1);
  }
  totals.set(fields[1], (totals.get(fields[1]) || 0) + amount);
}
for (const name of [...totals.keys()].sort()) {
  console.log(`${name}: ${totals.get(name).toFixed(2)}`);
}
