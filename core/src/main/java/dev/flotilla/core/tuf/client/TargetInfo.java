package dev.flotilla.core.tuf.client;

import dev.flotilla.core.tuf.TargetFile;

/** A target path with its verified entry and the role that listed it. */
public record TargetInfo(String path, TargetFile file, String role) {
}
