package dev.flotilla.cli.support;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tests see the checkout only, not the settings of the user who runs them (the surefire and failsafe
 * configuration of the parent pom): the CLI's saved profile is looked for in a folder under the checkout that
 * nothing creates, and the FLOTILLA_* variables the product reads are not passed on from the shell.
 */
class CheckoutOnlyTest {
    private static final List<String> SETTINGS = List.of("FLOTILLA_SERVER", "FLOTILLA_TOKEN", "FLOTILLA_CA_BUNDLE",
            "FLOTILLA_DEBUG", "FLOTILLA_ENROLLMENT_TOKEN", "FLOTILLA_MQTT_PASSWORD", "FLOTILLA_PKCS11_MODULE",
            "FLOTILLA_PKCS11_PIN");

    @Test
    void theSavedProfileIsLookedForInsideTheCheckoutAndTheShellsSettingsAreNotSeen() {
        Path checkout = Path.of("..").toAbsolutePath().normalize();
        Path profile = ProfileStore.standard().file().toAbsolutePath().normalize();
        assertThat(profile).startsWithRaw(checkout).doesNotExist();
        assertThat(SETTINGS).allSatisfy(name -> assertThat(System.getenv(name)).as(name).isNull());
    }
}
