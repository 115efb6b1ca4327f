package dev.flotilla.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the {@code flotilla} command in-process, as {@link Main#main} builds it, and captures its output. */
public record CliRun(int exitCode, String out, String err) {
    public static CliRun of(Object... args) {
        String[] strings = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            strings[i] = String.valueOf(args[i]);
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine(strings);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(strings);
        return new CliRun(code, out.toString(), err.toString());
    }
}
