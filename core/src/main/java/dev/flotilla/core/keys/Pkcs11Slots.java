package dev.flotilla.core.keys;

import dev.flotilla.core.crypto.KeyFormatException;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the slot that holds a token with a given label. The JDK's SunPKCS11 provider selects a token only by
 * slot, so this asks the module itself (C_GetSlotList, C_GetTokenInfo) through the JDK's PKCS#11 wrapper,
 * which the same module instance then serves to the provider. The wrapper package is not exported: the
 * flotilla jar's manifest (and the test JVMs) add {@code --add-exports
 * jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED}; without it a URI must name {@code slot-id}.
 */
final class Pkcs11Slots {
    private static final String WRAPPER = "sun.security.pkcs11.wrapper.";
    private static final long CKF_OS_LOCKING_OK = 0x2L;

    private Pkcs11Slots() {
    }

    /**
     * The slot id of the token labelled {@code label} in {@code module}.
     *
     * @throws KeyFormatException when no present token has that label, or the module cannot be asked
     */
    static long slotOf(String module, String label) {
        try {
            Class<?> pkcs11 = Class.forName(WRAPPER + "PKCS11");
            Class<?> initArgsType = Class.forName(WRAPPER + "CK_C_INITIALIZE_ARGS");
            Object initArgs = initArgsType.getConstructor().newInstance();
            initArgsType.getField("flags").setLong(initArgs, CKF_OS_LOCKING_OK);
            Method getInstance = pkcs11.getMethod("getInstance", String.class, String.class, initArgsType, boolean.class);
            Object p11 = getInstance.invoke(null, module, "C_GetFunctionList", initArgs, false);
            long[] slots = (long[]) pkcs11.getMethod("C_GetSlotList", boolean.class).invoke(p11, true);
            Method tokenInfo = pkcs11.getMethod("C_GetTokenInfo", long.class);
            List<String> seen = new ArrayList<>();
            for (long slot : slots) {
                Object info = tokenInfo.invoke(p11, slot);
                String tokenLabel = new String((char[]) info.getClass().getField("label").get(info)).strip();
                if (tokenLabel.equals(label)) {
                    return slot;
                }
                if (!tokenLabel.isEmpty()) {
                    seen.add("'" + tokenLabel + "'");
                }
            }
            throw new KeyFormatException("PKCS#11 module " + module + " has no token labelled '" + label + "'"
                    + (seen.isEmpty() ? " (no token present)" : " (tokens: " + String.join(", ", seen) + ")"));
        } catch (IllegalAccessException e) {
            throw new KeyFormatException("cannot look up PKCS#11 token '" + label + "': the JVM needs --add-exports"
                    + " jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED (the flotilla jar sets it);"
                    + " or name the slot with slot-id=N", e);
        } catch (InvocationTargetException e) {
            throw new KeyFormatException("PKCS#11 module " + module + ": " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new KeyFormatException("this JDK has no usable PKCS#11 wrapper (" + e + "); name the slot with"
                    + " slot-id=N", e);
        }
    }
}
