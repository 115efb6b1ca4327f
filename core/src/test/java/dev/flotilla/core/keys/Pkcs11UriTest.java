package dev.flotilla.core.keys;

import dev.flotilla.core.crypto.KeyFormatException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Pkcs11UriTest {
    @Test
    void parsesTokenObjectModuleAndPinSource() {
        Pkcs11Uri u = Pkcs11Uri.parse("pkcs11:token=Release%20HSM;object=root-1?module-path=/usr/lib/softhsm/libsofthsm2.so"
                + "&pin-source=file:///etc/flotilla/pin");
        assertThat(u).isEqualTo(new Pkcs11Uri("Release HSM", null, "root-1", "/usr/lib/softhsm/libsofthsm2.so",
                Path.of("/etc/flotilla/pin")));
        assertThat(Pkcs11Uri.parse("PKCS11:slot-id=7;object=k?pin-source=/run/pin"))
                .isEqualTo(new Pkcs11Uri(null, 7L, "k", null, Path.of("/run/pin")));
        assertThat(u.describe()).isEqualTo("pkcs11:token=Release HSM;object=root-1");
        assertThat(Pkcs11Uri.isUri("keys/root.pem")).isFalse();
    }

    @Test
    void refusesAPinValueWithoutEchoingIt() {
        assertThatThrownBy(() -> Pkcs11Uri.parse("pkcs11:token=t;object=k?pin-value=secret-1234"))
                .isInstanceOf(KeyFormatException.class)
                .hasMessageContaining("pin-value would put the PIN on the command line")
                .hasMessageNotContaining("secret-1234");
    }

    @Test
    void refusesIncompleteOrMalformedUris() {
        assertThatThrownBy(() -> Pkcs11Uri.parse("pkcs11:token=t")).hasMessageContaining("object=LABEL");
        assertThatThrownBy(() -> Pkcs11Uri.parse("pkcs11:object=k")).hasMessageContaining("token=LABEL");
        assertThatThrownBy(() -> Pkcs11Uri.parse("pkcs11:token=t;object=k;id=%01")).hasMessageContaining("id=");
        assertThatThrownBy(() -> Pkcs11Uri.parse("pkcs11:token=t;object=k;colour=red"))
                .hasMessageContaining("unknown attribute 'colour'");
        assertThatThrownBy(() -> Pkcs11Uri.parse("pkcs11:token=t;token=u;object=k")).hasMessageContaining("given twice");
        assertThatThrownBy(() -> Pkcs11Uri.parse("pkcs11:token=t%2;object=k")).hasMessageContaining("percent-encoding");
        assertThatThrownBy(() -> Pkcs11Uri.parse("pkcs11:slot-id=x;object=k")).hasMessageContaining("slot-id");
    }
}
