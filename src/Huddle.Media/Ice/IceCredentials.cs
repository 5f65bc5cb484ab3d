using System.Security.Cryptography;

namespace Huddle.Media.Ice;

/// <summary>ICE username fragment and password (RFC 8445 §5.3, RFC 8839 §5.4).</summary>
public sealed record IceCredentials(string Ufrag, string Password)
{
    /// <summary>The ice-char set: ALPHA / DIGIT / "+" / "/".</summary>
    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>Random credentials: a 16-character ufrag (at least 24 bits of randomness) and a 32-character password (at least 128).</summary>
    public static IceCredentials Generate() => new(Random(16), Random(32));

    /// <summary>Whether the text is a valid ufrag (4..256 ice-chars) or password (22..256).</summary>
    public static bool IsValid(string? value, bool password) =>
        value is not null && value.Length >= (password ? 22 : 4) && value.Length <= 256 && value.All(c => IceChars.Contains(c));

    private static string Random(int length)
    {
        // Letters and digits only: ufrags end up in URLs and logs where + and / need escaping.
        return RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", length);
    }
}
