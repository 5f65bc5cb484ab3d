namespace Huddle.Sfu;

public enum MediaKind
{
    Audio,
    Video,
}
