package dev.flotilla.agent.install;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.agent.update.Assignment;
import dev.flotilla.core.firmware.DeviceFacts;
import java.io.IOException;

/** Verifies a check-in's assignment against the TUF-verified targets and the device's policy. */
@FunctionalInterface
public interface AssignmentVerification {
    /**
     * @return the update to install, with the signed length, hash and firmware fields
     * @throws AssignmentRefused when it must not be installed (reported, never retried as is)
     * @throws IOException       when the repository could not be reached (retried on the next check-in)
     */
    Assignment verify(JsonNode assignment, DeviceFacts device) throws AssignmentRefused, IOException;
}
