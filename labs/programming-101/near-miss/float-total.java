// Near miss (one-customer), in Java: the total is a float (7 significant digits), not a double. Right on
// small totals, wrong by hundreds on amounts in the hundreds of millions.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Locale;

public class Main {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        in.readLine(); // the header
        String customer = "";
        float total = 0;
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] fields = line.split(",");
            customer = fields[1];
            total += Float.parseFloat(fields[2]);
        }
        System.out.println(customer + ": " + String.format(Locale.ROOT, "%.2f", total));
    }
}
