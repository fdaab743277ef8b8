using System.Globalization;
using System.Text;
using Xent.Numerics;

namespace Xent.Tests.Data;

/// <summary>
/// A generated customer table: age and income (numeric, some cells empty, NA or NaN), country (8 values, skewed, some
/// missing), plan (3 values, padded with spaces in places), postcode (integer codes, one written "01"), and a churn label
/// that depends on all of them.
/// </summary>
public static class MixedTable
{
    public static readonly string[] Countries = ["FR", "DE", "UK", "ES", "IT", "NL", "PT", "BE"];
    public static readonly string[] Plans = ["basic", "plus", "pro"];

    public static string Csv(int rows, long seed, bool unseen = false)
    {
        var random = new RandomSource(seed);
        var text = new StringBuilder("age,income,country,plan,postcode,churn\n");
        for (int r = 0; r < rows; r++)
        {
            double age = 20 + 50 * random.NextDouble();
            double income = Math.Round(1000 + 4000 * random.NextDouble(), 2);
            // Skewed: FR and DE most of the rows, BE rare.
            int country = (int)(Countries.Length * Math.Pow(random.NextDouble(), 2));
            int plan = (int)(3 * random.NextDouble());
            int postcode = (int)(4 * random.NextDouble());
            double score = (age - 45) / 15 + (income - 3000) / 1500 + (country % 3 - 1) * 1.2 + (plan - 1) * 1.5 + (postcode == 2 ? 1.5 : 0) + 0.8 * (random.NextDouble() - 0.5);
            string churn = score > 0.3 ? "yes" : score < -0.6 ? "no" : "maybe";
            string ageText = random.NextDouble() < 0.1 ? (r % 3 == 0 ? "" : r % 3 == 1 ? "NA" : "NaN") : age.ToString("F1", CultureInfo.InvariantCulture);
            string incomeText = income.ToString(CultureInfo.InvariantCulture);
            string countryText = random.NextDouble() < 0.05 ? "" : unseen && r % 7 == 0 ? "XX" : Countries[country];
            string planText = r % 5 == 0 ? $"  {Plans[plan]} " : Plans[plan];
            string postcodeText = postcode == 1 && r % 2 == 0 ? "01" : postcode.ToString(CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"{ageText},{incomeText},{countryText},{planText},{postcodeText},{churn}\n");
        }
        return text.ToString();
    }
}
