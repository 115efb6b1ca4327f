package dev.flotilla.server.http;

import dev.flotilla.server.devices.CheckIns;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consistency rules run in the services, never by hand at the HTTP edge: no compiled class of the {@code http}
 * and {@code ui} packages or of a route class ({@code *Routes}, with its nested classes and lambdas) refers to
 * {@code store.Consistency}, {@code store.AfterCommit}, or the check-in service's settling, last-seen flushing or
 * cache invalidation. The compiled classes are read rather than the sources, so a method reference
 * ({@code checkIns::flushLastSeen}) counts as much as a call, and a same-named method of another class does not.
 */
class ConsistencyBoundaryTest {
    private static final String SERVER = "dev/flotilla/server/";
    /** Per owner class (internal name), the methods the edge must not refer to; an empty set: any of them. */
    private static final Map<String, Set<String>> RULES = Map.of(
            SERVER + "store/Consistency", Set.of(),
            SERVER + "store/Consistency$CheckInState", Set.of(),
            SERVER + "store/AfterCommit", Set.of(),
            SERVER + "devices/CheckIns", Set.of("settle", "flushLastSeen", "changed"),
            SERVER + "devices/CacheFeed", Set.of("settle"),
            SERVER + "devices/ChangeFeed", Set.of("settle"),
            SERVER + "devices/H2ChangeFeed", Set.of("settle"),
            SERVER + "devices/IdleCache", Set.of("invalidate"),
            SERVER + "devices/LastSeen", Set.of("flush"));

    @Test
    void edgeClassesLeaveTheConsistencyRulesToTheServices() throws IOException, URISyntaxException {
        Path classes = Path.of(CheckIns.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path root = classes.resolve(SERVER);
        assertThat(root.resolve("devices/CheckIns.class")).as("the server's compiled classes").isRegularFile();
        List<String> offenders = new ArrayList<>();
        int edgeClasses = 0;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (edge(rel)) {
                    edgeClasses++;
                    methodRefs(Files.readAllBytes(p)).stream().filter(ConsistencyBoundaryTest::forbidden)
                            .forEach(ref -> offenders.add(rel + " -> " + ref));
                }
            }
        }
        assertThat(edgeClasses).as("edge classes read").isGreaterThan(20);
        assertThat(offenders).as("edge classes that run a consistency rule themselves").isEmpty();
    }

    @Test
    void theClassFileReaderSeesCallsAndMethodReferences() throws IOException {
        assertThat(methodRefs(classFile("devices/DeviceDetails"))).as("a call")
                .contains(SERVER + "store/Consistency.current");
        assertThat(methodRefs(classFile("ui/FleetPages"))).as("a method reference (fleet::summary)")
                .contains(SERVER + "devices/FleetOverview.summary");
        assertThat(forbidden(SERVER + "devices/CheckIns.flushLastSeen")).isTrue();
        assertThat(forbidden(SERVER + "store/AfterCommit.run")).isTrue();
        assertThat(forbidden(SERVER + "devices/CheckIns.presence")).isFalse();
        assertThat(forbidden(SERVER + "ui/LiveStreams.changed")).isFalse();
    }

    private static byte[] classFile(String name) throws IOException {
        try (var in = CheckIns.class.getResourceAsStream("/" + SERVER + name + ".class")) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    /** A class of the {@code http} or {@code ui} package, or a route class or one nested in it. */
    private static boolean edge(String rel) {
        String outer = rel.replaceAll("\\$.*", "").replaceAll("\\.class$", "");
        return rel.startsWith("http/") || rel.startsWith("ui/") || outer.endsWith("Routes");
    }

    private static boolean forbidden(String ref) {
        int dot = ref.lastIndexOf('.');
        Set<String> methods = RULES.get(ref.substring(0, dot));
        return methods != null && (methods.isEmpty() || methods.contains(ref.substring(dot + 1)));
    }

    /**
     * Every method a class file refers to, as {@code owner.name} (owner an internal class name): the
     * {@code Methodref} and {@code InterfaceMethodref} entries of its constant pool, which every call and every
     * method reference (through its method handle) goes through.
     */
    static Set<String> methodRefs(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.skipBytes(4); // minor and major version
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        int[] className = new int[count];
        int[][] ref = new int[count][];
        int[][] nameAndType = new int[count][];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 7 -> className[i] = in.readUnsignedShort();
                case 10, 11 -> ref[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort()};
                case 12 -> nameAndType[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort()};
                case 8, 16, 19, 20 -> in.skipBytes(2); // String, MethodType, Module, Package
                case 15 -> in.skipBytes(3); // MethodHandle: kind, reference (a Methodref read on its own)
                case 3, 4, 9, 17, 18 -> in.skipBytes(4); // Integer, Float, Fieldref, Dynamic, InvokeDynamic
                case 5, 6 -> { // Long and Double take two entries
                    in.skipBytes(8);
                    i++;
                }
                default -> throw new IOException("unknown constant pool tag " + tag + " at entry " + i);
            }
        }
        Set<String> out = new TreeSet<>();
        for (int[] r : ref) {
            if (r != null) {
                out.add(utf8[className[r[0]]] + "." + utf8[nameAndType[r[1]][0]]);
            }
        }
        return out;
    }
}
