namespace Huddle.Media.Sdp;

/// <summary>
/// The value of an <c>a=fmtp:&lt;pt&gt; &lt;parameters&gt;</c> line: the raw text as written and the
/// <c>key=value;key=value</c> parameters read from it. A part without <c>=</c> (such as RED's
/// <c>111/111</c> or telephone-event's <c>0-16</c>) is a key with an empty value.
/// Two values are equal when their raw text is.
/// </summary>
public sealed class SdpFmtp : IEquatable<SdpFmtp>
{
    private readonly Dictionary<string, string> _parameters;

    private SdpFmtp(string raw, Dictionary<string, string> parameters)
    {
        Raw = raw;
        _parameters = parameters;
    }

    public string Raw { get; }

    /// <summary>Parameters with case-insensitive names; for a repeated name the first one counts.</summary>
    public IReadOnlyDictionary<string, string> Parameters => _parameters;

    public bool TryGetValue(string name, out string value) => _parameters.TryGetValue(name, out value!);

    public string? Get(string name) => _parameters.TryGetValue(name, out var v) ? v : null;

    /// <summary>Reads the raw parameter text. Never fails: any text is a valid raw value.</summary>
    public static SdpFmtp Parse(string raw)
    {
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in raw.Split(';'))
        {
            var p = SdpText.TrimWhitespace(part);
            if (p.Length == 0) continue;
            int eq = p.IndexOf('=');
            if (eq < 0)
            {
                parameters.TryAdd(p, "");
            }
            else
            {
                var key = SdpText.TrimWhitespace(p[..eq]);
                if (key.Length > 0) parameters.TryAdd(key, SdpText.TrimWhitespace(p[(eq + 1)..]));
            }
        }
        return new SdpFmtp(raw, parameters);
    }

    /// <summary>Builds <c>a=b;c=d</c> from parameters in the given order; a null or empty value writes the bare name.</summary>
    public static SdpFmtp FromParameters(params IEnumerable<KeyValuePair<string, string?>> parameters) =>
        Parse(string.Join(";", parameters.Select(p => string.IsNullOrEmpty(p.Value) ? p.Key : p.Key + "=" + p.Value)));

    public static SdpFmtp FromParameters(params (string Name, string? Value)[] parameters) =>
        FromParameters(parameters.Select(p => new KeyValuePair<string, string?>(p.Name, p.Value)));

    public bool Equals(SdpFmtp? other) => other is not null && string.Equals(Raw, other.Raw, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as SdpFmtp);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Raw);

    public static bool operator ==(SdpFmtp? left, SdpFmtp? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(SdpFmtp? left, SdpFmtp? right) => !(left == right);

    public override string ToString() => Raw;
}
