using System.Globalization;
using System.Text;

namespace TrainSage.Training.Reports;

/// <summary>One line on a chart.</summary>
public sealed record ChartSeries(string Label, IReadOnlyList<(double X, double Y)> Points, string Color);

/// <summary>A line chart panel drawn as SVG: axes with ticks, a legend, one polyline per series.</summary>
public sealed record ChartPanel(string Title, string XLabel, string YLabel, IReadOnlyList<ChartSeries> Series);

/// <summary>Lays chart panels out in a grid and writes one SVG document (no plotting library needed).</summary>
public static class SvgChart
{
    private const int PanelWidth = 520, PanelHeight = 340, Margin = 60;

    public static string Render(string title, IReadOnlyList<ChartPanel> panels, int columns = 2)
    {
        var rows = (panels.Count + columns - 1) / columns;
        var width = columns * PanelWidth;
        var height = rows * PanelHeight + 40;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">{Escape(title)}</text>\n");
        for (var i = 0; i < panels.Count; i++)
            DrawPanel(svg, panels[i], i % columns * PanelWidth, 40 + i / columns * PanelHeight);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void DrawPanel(StringBuilder svg, ChartPanel panel, int left, int top)
    {
        var points = panel.Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        double x0 = left + Margin, x1 = left + PanelWidth - 20, y0 = top + PanelHeight - 45, y1 = top + 30;
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(x0 + x1) / 2}\" y=\"{top + 18}\" text-anchor=\"middle\" font-size=\"13\">{Escape(panel.Title)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x0}\" y=\"{y1}\" width=\"{x1 - x0}\" height=\"{y0 - y1}\" fill=\"none\" stroke=\"#888\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(x0 + x1) / 2}\" y=\"{y0 + 34}\" text-anchor=\"middle\">{Escape(panel.XLabel)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate({left + 14},{(y0 + y1) / 2}) rotate(-90)\" text-anchor=\"middle\">{Escape(panel.YLabel)}</text>\n");
        if (points.Count == 0) return;
        var (minX, maxX) = Range(points.Select(p => p.X));
        var (minY, maxY) = Range(points.Select(p => p.Y));
        double Sx(double x) => x0 + (x - minX) / (maxX - minX) * (x1 - x0);
        double Sy(double y) => y0 - (y - minY) / (maxY - minY) * (y0 - y1);
        for (var t = 0; t <= 4; t++)
        {
            var xv = minX + t * (maxX - minX) / 4;
            var yv = minY + t * (maxY - minY) / 4;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Sx(xv):F1}\" y=\"{y0 + 16}\" text-anchor=\"middle\" font-size=\"10\">{Tick(xv)}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 - 6}\" y=\"{Sy(yv) + 4:F1}\" text-anchor=\"end\" font-size=\"10\">{Tick(yv)}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x0}\" x2=\"{x1}\" y1=\"{Sy(yv):F1}\" y2=\"{Sy(yv):F1}\" stroke=\"#eee\"/>\n");
        }
        if (minY < 0 && maxY > 0)
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x0}\" x2=\"{x1}\" y1=\"{Sy(0):F1}\" y2=\"{Sy(0):F1}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>\n");
        var legendY = y1 + 14;
        foreach (var series in panel.Series)
        {
            var path = string.Join(" ", series.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y))
                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{Sx(p.X):F1},{Sy(p.Y):F1}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{series.Color}\" stroke-width=\"1.5\" points=\"{path}\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x1 - 150}\" x2=\"{x1 - 130}\" y1=\"{legendY - 4}\" y2=\"{legendY - 4}\" stroke=\"{series.Color}\" stroke-width=\"2\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x1 - 125}\" y=\"{legendY}\">{Escape(series.Label)}</text>\n");
            legendY += 16;
        }
    }

    private static (double Min, double Max) Range(IEnumerable<double> values)
    {
        var list = values.ToList();
        double min = list.Min(), max = list.Max();
        if (max - min < 1e-12) (min, max) = (min - 0.5, max + 0.5);
        var pad = (max - min) * 0.03;
        return (min - pad, max + pad);
    }

    private static string Tick(double v) =>
        Math.Abs(v) >= 10000 ? v.ToString("0.##E0", CultureInfo.InvariantCulture) : v.ToString(Math.Abs(v) >= 100 ? "F0" : "G3", CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
