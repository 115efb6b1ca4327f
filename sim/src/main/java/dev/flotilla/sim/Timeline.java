package dev.flotilla.sim;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The run as a picture: how many boards were in each {@link DeviceRecord.Phase} over wall time (stacked
 * areas), with the rollout's stage starts and halt as vertical lines. Plain SVG, no script, no fonts to load.
 */
final class Timeline {
    /** A labelled moment, in milliseconds since the run started. */
    record Marker(long millis, String label) {
    }

    private static final int WIDTH = 900;
    private static final int HEIGHT = 320;
    private static final int LEFT = 50;
    private static final int TOP = 30;
    private static final int PLOT_W = 820;
    private static final int PLOT_H = 230;
    private static final int SAMPLES = 300;
    private static final String[] COLOURS = {"#b0b7c3", "#4a90d9", "#3aa655", "#e8833a"};

    private Timeline() {
    }

    static byte[] svg(String title, List<List<DeviceRecord.Change>> boards, long endMillis, List<Marker> markers) {
        DeviceRecord.Phase[] phases = DeviceRecord.Phase.values();
        int[][] counts = new int[SAMPLES + 1][phases.length];
        for (List<DeviceRecord.Change> changes : boards) {
            for (int i = 0; i <= SAMPLES; i++) {
                DeviceRecord.Phase p = at(changes, endMillis * i / SAMPLES);
                if (p != null) {
                    counts[i][p.ordinal()]++;
                }
            }
        }
        int fleet = Math.max(1, boards.size());
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"11\">%n", WIDTH, HEIGHT));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(String.format("<text x=\"%d\" y=\"18\" font-size=\"13\">%s</text>%n", LEFT, escape(title)));
        for (int k = phases.length - 1; k >= 0; k--) {
            s.append("<polygon fill=\"").append(COLOURS[k]).append("\" points=\"");
            for (int i = 0; i <= SAMPLES; i++) {
                point(s, i, stacked(counts[i], k), fleet);
            }
            point(s, SAMPLES, 0, fleet);
            point(s, 0, 0, fleet);
            s.append("\"/>\n");
        }
        for (Marker m : markers) {
            double x = LEFT + PLOT_W * (double) m.millis() / Math.max(1, endMillis);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\" "
                    + "stroke-dasharray=\"4 3\"/>%n<text x=\"%.1f\" y=\"%d\">%s</text>%n", x, TOP, x, TOP + PLOT_H,
                    x + 3, TOP + 12, escape(m.label())));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">0 s</text><text x=\"%d\" y=\"%d\" "
                + "text-anchor=\"end\">%.1f s (wall)</text>%n", LEFT, TOP + PLOT_H + 14, LEFT + PLOT_W,
                TOP + PLOT_H + 14, endMillis / 1000.0));
        s.append(String.format("<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>%n", LEFT - 4, TOP + 10, fleet));
        for (int k = 0; k < phases.length; k++) {
            int x = LEFT + k * 170;
            s.append(String.format("<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", x, HEIGHT - 28, COLOURS[k], x + 16, HEIGHT - 18,
                    phases[k].name().toLowerCase(Locale.ROOT).replace('_', ' ')));
        }
        return s.append("</svg>\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Boards in phases 0..k at one sample (the top edge of phase k's band). */
    private static int stacked(int[] counts, int k) {
        int n = 0;
        for (int j = 0; j <= k; j++) {
            n += counts[j];
        }
        return n;
    }

    private static void point(StringBuilder s, int sample, int boards, int fleet) {
        s.append(String.format(Locale.ROOT, "%.1f,%.1f ", LEFT + PLOT_W * (double) sample / SAMPLES,
                TOP + PLOT_H - PLOT_H * (double) boards / fleet));
    }

    private static DeviceRecord.Phase at(List<DeviceRecord.Change> changes, long millis) {
        DeviceRecord.Phase p = null;
        for (DeviceRecord.Change c : changes) {
            if (c.millis() > millis) {
                break;
            }
            p = c.phase();
        }
        return p;
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
