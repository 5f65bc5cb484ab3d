namespace Huddle.Media.Srtp;

/// <summary>
/// Which packet indexes were already accepted (RFC 3711 §3.3.2). The window is 1,024 packets wide, like
/// libwebrtc's for video, so a retransmission arriving a second late is still accepted once.
/// </summary>
internal sealed class ReplayWindow
{
    public const int Size = 1024;
    private readonly ulong[] _bits = new ulong[Size / 64];
    private ulong _highest;
    private bool _any;

    /// <summary>Whether <paramref name="index"/> is new and not too old; does not record it.</summary>
    public bool Check(ulong index)
    {
        if (!_any || index > _highest) return true;
        ulong age = _highest - index;
        if (age >= Size) return false;
        return (_bits[(int)(index % Size) / 64] & (1UL << (int)(index % 64))) == 0;
    }

    /// <summary>Records an authenticated index.</summary>
    public void Accept(ulong index)
    {
        if (!_any)
        {
            _any = true;
            _highest = index;
        }
        else if (index > _highest)
        {
            // Clear the slots the window slides over.
            ulong advance = index - _highest;
            if (advance >= Size) Array.Clear(_bits);
            else
            {
                for (ulong i = _highest + 1; i <= index; i++) _bits[(int)(i % Size) / 64] &= ~(1UL << (int)(i % 64));
            }
            _highest = index;
        }
        _bits[(int)(index % Size) / 64] |= 1UL << (int)(index % 64);
    }
}
