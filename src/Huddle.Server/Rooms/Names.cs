namespace Huddle.Server.Rooms;

/// <summary>Validation of room and display names (docs/protocol.md, "Identifiers and validation").</summary>
internal static class Names
{
    public const int MaxRoomLength = 64;
    public const int MaxNameLength = 40;

    /// <summary>Returns the canonical (lowercase) room name, or null when <paramref name="room"/> is not valid.</summary>
    public static string? NormalizeRoom(string? room)
    {
        if (string.IsNullOrEmpty(room) || room.Length > MaxRoomLength) return null;
        foreach (char c in room)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')) return null;
        }
        return room.ToLowerInvariant();
    }

    /// <summary>Returns the trimmed display name, or null when <paramref name="name"/> is not valid.</summary>
    public static string? NormalizeDisplayName(string? name)
    {
        if (name is null) return null;
        string trimmed = name.Trim();
        if (trimmed.Length == 0 || trimmed.Length > MaxNameLength) return null;
        foreach (char c in trimmed)
        {
            // Markup characters are refused outright: clients render names as text anyway, but a name
            // that only makes sense as HTML is a probe, not a person.
            if (char.IsControl(c) || c is '<' or '>' or '"' or '\'' or '&' or '`') return null;
            if (c is not ('\u200C' or '\u200D') && char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format
                or System.Globalization.UnicodeCategory.LineSeparator
                or System.Globalization.UnicodeCategory.ParagraphSeparator) return null;
        }
        return trimmed;
    }
}
