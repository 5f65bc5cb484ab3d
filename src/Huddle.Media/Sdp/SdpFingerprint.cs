using System.Security.Cryptography;
using System.Text;

namespace Huddle.Media.Sdp;

/// <summary>
/// <c>a=fingerprint:&lt;hash function&gt; &lt;hex bytes with colons&gt;</c> (RFC 8122): the hash of
/// the peer's DTLS certificate. Equal when the algorithm (case-insensitively) and the bytes are.
/// </summary>
public sealed class SdpFingerprint : IEquatable<SdpFingerprint>
{
    private readonly byte[] _value;

    private SdpFingerprint(string algorithm, byte[] value)
    {
        Algorithm = algorithm;
        _value = value;
    }

    /// <summary>The hash function name as written, for example <c>sha-256</c>.</summary>
    public string Algorithm { get; }

    public ReadOnlySpan<byte> Value => _value;

    public byte[] ToArray() => (byte[])_value.Clone();

    /// <summary>Upper-case hex with colons: <c>7B:8B:…</c>.</summary>
    public string HexValue
    {
        get
        {
            var sb = new StringBuilder(_value.Length * 3);
            for (int i = 0; i < _value.Length; i++)
            {
                if (i > 0) sb.Append(':');
                sb.Append(_value[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            return sb.ToString();
        }
    }

    public static SdpFingerprint Create(string algorithm, ReadOnlySpan<byte> value)
    {
        SdpText.RequireToken(algorithm, nameof(algorithm));
        if (value.Length is 0 or > 64) throw new ArgumentException("A fingerprint holds 1 to 64 bytes", nameof(value));
        return new SdpFingerprint(algorithm, value.ToArray());
    }

    /// <summary>The sha-256 fingerprint of a DER certificate, as we announce our own.</summary>
    public static SdpFingerprint Sha256Of(ReadOnlySpan<byte> certificateDer) =>
        new("sha-256", SHA256.HashData(certificateDer));

    /// <summary>From an algorithm and <c>AB:CD:…</c> hex; throws <see cref="FormatException"/> when malformed.</summary>
    public static SdpFingerprint Parse(string algorithm, string hex)
    {
        if (!SdpText.IsToken(algorithm) || !TryParseHex(hex, out var bytes))
        {
            throw new FormatException($"Invalid fingerprint '{algorithm} {hex}'");
        }
        return new SdpFingerprint(algorithm, bytes);
    }

    /// <summary>Parses the attribute value <c>sha-256 AB:CD:…</c>.</summary>
    public static bool TryParse(string? attributeValue, out SdpFingerprint? fingerprint)
    {
        fingerprint = null;
        if (attributeValue is null || attributeValue.Length > 256) return false;
        var parts = SdpText.SplitWhitespace(attributeValue);
        if (parts.Count != 2 || !SdpText.IsToken(parts[0]) || !TryParseHex(parts[1], out var bytes)) return false;
        fingerprint = new SdpFingerprint(parts[0], bytes);
        return true;
    }

    private static bool TryParseHex(string hex, out byte[] bytes)
    {
        bytes = [];
        if (hex.Length < 2 || hex.Length > 64 * 3 - 1 || (hex.Length + 1) % 3 != 0) return false;
        var result = new byte[(hex.Length + 1) / 3];
        for (int i = 0; i < result.Length; i++)
        {
            int at = i * 3;
            if (i > 0 && hex[at - 1] != ':') return false;
            int hi = HexDigit(hex[at]), lo = HexDigit(hex[at + 1]);
            if (hi < 0 || lo < 0) return false;
            result[i] = (byte)(hi << 4 | lo);
        }
        bytes = result;
        return true;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Whether the hash function is one DTLS-SRTP uses and the digest has its size.</summary>
    public bool IsSupportedHash => Algorithm.ToLowerInvariant() switch
    {
        "sha-1" => _value.Length == 20,
        "sha-256" => _value.Length == 32,
        "sha-384" => _value.Length == 48,
        "sha-512" => _value.Length == 64,
        _ => false,
    };

    /// <summary>
    /// Whether a DER certificate hashes to this fingerprint (sha-1, sha-256, sha-384, sha-512);
    /// false for an unknown hash function. Compared in constant time.
    /// </summary>
    public bool Matches(ReadOnlySpan<byte> certificateDer)
    {
        byte[]? hash = Algorithm.ToLowerInvariant() switch
        {
            "sha-1" => SHA1.HashData(certificateDer),
            "sha-256" => SHA256.HashData(certificateDer),
            "sha-384" => SHA384.HashData(certificateDer),
            "sha-512" => SHA512.HashData(certificateDer),
            _ => null,
        };
        return hash is not null && CryptographicOperations.FixedTimeEquals(hash, _value);
    }

    public bool Equals(SdpFingerprint? other) =>
        other is not null
        && string.Equals(Algorithm, other.Algorithm, StringComparison.OrdinalIgnoreCase)
        && _value.AsSpan().SequenceEqual(other._value);

    public override bool Equals(object? obj) => Equals(obj as SdpFingerprint);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Algorithm, StringComparer.OrdinalIgnoreCase);
        hash.AddBytes(_value);
        return hash.ToHashCode();
    }

    public static bool operator ==(SdpFingerprint? left, SdpFingerprint? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(SdpFingerprint? left, SdpFingerprint? right) => !(left == right);

    /// <summary>The attribute value: <c>sha-256 AB:CD:…</c>.</summary>
    public override string ToString() => Algorithm + " " + HexValue;
}
