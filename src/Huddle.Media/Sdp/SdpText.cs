using System.Globalization;

namespace Huddle.Media.Sdp;

/// <summary>Small lexical helpers shared by the parser, the writer and the builders.</summary>
internal static class SdpText
{
    /// <summary>RFC 8866 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E.</summary>
    public static bool IsTokenChar(char c) =>
        c == '!' || (c >= '#' && c <= '\'') || c == '*' || c == '+' || c == '-' || c == '.'
        || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= '^' && c <= '~');

    public static bool IsToken(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (char c in s)
        {
            if (!IsTokenChar(c)) return false;
        }
        return true;
    }

    /// <summary>Printable ASCII without space: what fields separated by spaces may hold.</summary>
    public static bool IsVisible(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (char c in s)
        {
            if (c <= ' ' || c >= 0x7f) return false;
        }
        return true;
    }

    /// <summary>RFC 8851 rid-id: 1*(ALPHA / DIGIT / "-" / "_").</summary>
    public static bool IsRidId(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || s.Length > 255) return false;
        foreach (char c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return false;
        }
        return true;
    }

    /// <summary>RFC 8445 ice-char: ALPHA / DIGIT / "+" / "/".</summary>
    public static bool IsIceChars(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (char c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/')) return false;
        }
        return true;
    }

    public static bool IsWhitespace(char c) => c == ' ' || c == '\t';

    public static List<string> SplitWhitespace(string s)
    {
        var parts = new List<string>();
        int i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && IsWhitespace(s[i])) i++;
            int start = i;
            while (i < s.Length && !IsWhitespace(s[i])) i++;
            if (i > start) parts.Add(s[start..i]);
        }
        return parts;
    }

    /// <summary>Splits off the first whitespace-separated word; the rest has its leading whitespace removed.</summary>
    public static (string First, string Remainder) SplitFirst(string s)
    {
        int i = 0;
        while (i < s.Length && !IsWhitespace(s[i])) i++;
        string first = s[..i];
        while (i < s.Length && IsWhitespace(s[i])) i++;
        return (first, s[i..]);
    }

    public static string TrimWhitespace(string s) => s.Trim(' ', '\t');

    public static bool TryParseInt(string s, int min, int max, out int value)
    {
        if (s.Length is > 0 and <= 10
            && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value)
            && value >= min && value <= max)
        {
            return true;
        }
        value = 0;
        return false;
    }

    public static bool TryParseUInt(string s, out uint value)
    {
        if (s.Length is > 0 and <= 10 && uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }
        value = 0;
        return false;
    }

    public static bool TryParseULong(string s, out ulong value)
    {
        if (s.Length is > 0 and <= 20 && ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }
        value = 0;
        return false;
    }

    public static bool TryParseLong(string s, out long value)
    {
        if (s.Length is > 0 and <= 19 && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }
        value = 0;
        return false;
    }

    public static bool IsDigits(string s)
    {
        if (s.Length == 0) return false;
        foreach (char c in s)
        {
            if (!char.IsAsciiDigit(c)) return false;
        }
        return true;
    }

    public static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);

    public static string Str(uint v) => v.ToString(CultureInfo.InvariantCulture);

    public static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);

    public static string Str(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Throws <see cref="ArgumentException"/> when a value set through the API cannot be written.</summary>
    public static string RequireToken(string value, string name)
    {
        if (!IsToken(value)) throw new ArgumentException($"'{value}' is not a valid SDP token", name);
        return value;
    }

    public static string RequireVisible(string value, string name)
    {
        if (!IsVisible(value)) throw new ArgumentException($"'{value}' must be printable ASCII without spaces", name);
        return value;
    }
}
