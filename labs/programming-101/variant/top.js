// Accepted variant (top), in JavaScript: the whole program. Amounts are counted in whole cents (exact),
// checked with a pattern that allows 0, 1 or 2 decimals; --top is read from process.argv by hand; the
// error messages are its own ("the 4th line ...").
const text = require("fs").readFileSync(0, "utf8");
const args = process.argv.slice(2);

function fail(message) {
  process.stderr.write(message + "\n");
  process.exit(1);
}

let top = null;
const at = args.indexOf("--top");
if (at >= 0) {
  const value = args[at + 1];
  if (value === undefined || !/^[0-9]+$/.test(value) || Number(value) < 1) {
    fail(`option --top wants a whole number of at least 1, not ${JSON.stringify(value)}`);
  }
  top = Number(value);
}

const cents = new Map();
const ordinal = (n) => n + (n % 10 === 1 && n % 100 !== 11 ? "st" : n % 10 === 2 && n % 100 !== 12 ? "nd"
  : n % 10 === 3 && n % 100 !== 13 ? "rd" : "th");
text.split(/\r?\n/).forEach((line, index) => {
  if (index === 0 || line.trim() === "") return;
  const fields = line.split(",");
  let problem = null;
  if (fields.length !== 3) problem = `${fields.length} fields instead of 3`;
  else if (fields[1].trim() === "") problem = "the customer is missing";
  else if (!/^[0-9]+(\.[0-9]{1,2})?$/.test(fields[2])) problem = `the amount "${fields[2]}" is not a number`;
  if (problem) fail(`error: the ${ordinal(index + 1)} line is wrong: ${problem}`);
  const [whole, decimals = ""] = fields[2].split(".");
  const amount = Number(whole) * 100 + Number(decimals.padEnd(2, "0"));
  cents.set(fields[1], (cents.get(fields[1]) || 0) + amount);
});

const byName = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
let rows = [...cents.entries()];
if (top === null) rows.sort(byName);
else rows = rows.sort((a, b) => b[1] - a[1] || byName(a, b)).slice(0, top);
for (const [name, total] of rows) {
  console.log(`${name}: ${Math.floor(total / 100)}.${String(total % 100).padStart(2, "0")}`);
}
