/// mnconvert's version: printed by `mnconvert --version` and written into every file it makes
/// (the `.mnw` metadata property `mnconvert_version`), so a converted model says what made it.
public enum MNConvertVersion {
    public static let current = "0.6.0"
}
