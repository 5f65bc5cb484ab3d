using System.Globalization;
using System.Text;

namespace Huddle.Bench.Load;

/// <summary>
/// An SVG of a run, second by second: end-to-end latency percentiles (and the server's own forwarding
/// percentiles when it reports them) above, server and bot CPU below. Plain SVG, no script.
/// </summary>
internal static class LoadPlot
{
    private const int Width = 820;
    private const int PanelHeight = 200;
    private const int Left = 70;
    private const int Right = 150;
    private const int Top = 40;
    private const int Gap = 60;

    public static string Svg(LoadResult result)
    {
        var svg = new StringBuilder();
        int height = Top + 2 * PanelHeight + Gap + 40;
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"20\" font-size=\"14\">{Escape($"{result.Options.Scenario} against {result.Target}: {result.Bots} bots, {result.Options.Rooms} room(s)")}</text>\n");
        double duration = Math.Max(1, result.Samples.Count == 0 ? 1 : result.Samples[^1].T);
        var latency = new List<(string, string, Func<Sample, double?>)>
        {
            ("p50 end to end", "#1f77b4", s => s.P50Us),
            ("p99 end to end", "#d62728", s => s.P99Us),
        };
        if (result.Samples.Any(s => s.ServerP99Us is not null))
        {
            latency.Add(("p50 in server", "#2ca02c", s => s.ServerP50Us));
            latency.Add(("p99 in server", "#ff7f0e", s => s.ServerP99Us));
        }
        Panel(svg, result.Samples, Top, duration, "latency (µs)", latency);
        Panel(svg, result.Samples, Top + PanelHeight + Gap, duration, "CPU (% of one core)",
        [
            ("server", "#9467bd", s => double.IsNaN(s.ServerCores) ? null : s.ServerCores * 100),
            ("bots", "#7f7f7f", s => s.BotCores * 100),
        ]);
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (Width - Left - Right) / 2}\" y=\"{height - 8}\" text-anchor=\"middle\">time (s)</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, List<Sample> samples, int top, double duration, string title, List<(string Name, string Color, Func<Sample, double?> Value)> series)
    {
        int plotWidth = Width - Left - Right;
        double max = samples.SelectMany(s => series.Select(x => x.Value(s) ?? 0)).DefaultIfEmpty(1).Max();
        max = NiceCeiling(Math.Max(max, 1));
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{top - 8}\">{Escape(title)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#999\"/>\n");
        for (int i = 0; i <= 4; i++)
        {
            double y = top + PanelHeight - i * PanelHeight / 4.0;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{y:F1}\" x2=\"{Left + plotWidth}\" y2=\"{y:F1}\" stroke=\"#eee\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{max * i / 4:0.##}</text>\n");
        }
        for (int i = 0; i <= 5; i++)
        {
            double x = Left + i * plotWidth / 5.0;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{top + PanelHeight + 16}\" text-anchor=\"middle\">{duration * i / 5:F0}</text>\n");
        }
        int row = 0;
        foreach ((string name, string color, Func<Sample, double?> value) in series)
        {
            var points = new StringBuilder();
            foreach (Sample s in samples)
            {
                if (value(s) is not { } v) continue;
                double x = Left + s.T / duration * plotWidth;
                double y = top + PanelHeight - Math.Min(v, max) / max * PanelHeight;
                points.Append(CultureInfo.InvariantCulture, $"{x:F1},{y:F1} ");
            }
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{points.ToString().TrimEnd()}\"/>\n");
            int ly = top + 14 + row++ * 18;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left + plotWidth + 10}\" y1=\"{ly - 4}\" x2=\"{Left + plotWidth + 30}\" y2=\"{ly - 4}\" stroke=\"{color}\" stroke-width=\"2\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + plotWidth + 35}\" y=\"{ly}\">{Escape(name)}</text>\n");
        }
    }

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="value"/>.</summary>
    private static double NiceCeiling(double value)
    {
        double power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (double step in new[] { 1.0, 2, 5, 10 })
        {
            if (step * power >= value) return step * power;
        }
        return 10 * power;
    }

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
