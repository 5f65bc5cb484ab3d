namespace Huddle.Media.Rtcp;

/// <summary>
/// The packets of one RTCP datagram. RFC 3550 §6.1 stacks several packets in a datagram ("compound
/// packet") with nothing between them: each one's length field says where the next begins.
/// </summary>
/// <remarks>
/// <code>
/// if encrypted: random 32-bit integer (SRTCP removes it before we see the packet)
/// |
/// |[--------- packet --------][---------- packet ----------][-packet-]
/// |
/// |                receiver            chunk        chunk
/// V                reports           item  item   item  item
/// --------------------------------------------------------------------
/// R[SR #sendinfo #site1#site2][SDES #CNAME PHONE #CNAME LOC][BYE##why]
/// --------------------------------------------------------------------
/// |                                                                  |
/// |<-----------------------  compound packet ----------------------->|
/// </code>
/// The RFC 3550 §6.1 rule that the first packet be SR or RR is not enforced: RFC 5506 allows
/// reduced-size RTCP, and Chrome sends lone feedback packets when rtcp-rsize is negotiated.
/// </remarks>
public readonly ref struct RtcpCompoundPacket
{
    private readonly ReadOnlySpan<byte> _datagram;

    /// <summary>Wraps a datagram without checking it; enumeration stops at the first malformed packet.</summary>
    public RtcpCompoundPacket(ReadOnlySpan<byte> datagram) => _datagram = datagram;

    /// <summary>
    /// Checks that <paramref name="datagram"/> is one or more well-formed RTCP packets filling it exactly.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out RtcpCompoundPacket compound)
    {
        compound = default;
        if (datagram.IsEmpty) return false;
        var e = new Enumerator(datagram);
        while (e.MoveNext()) { }
        if (e.IsMalformed) return false;
        compound = new RtcpCompoundPacket(datagram);
        return true;
    }

    public ReadOnlySpan<byte> Bytes => _datagram;
    public int Length => _datagram.Length;

    /// <summary>Packets up to the first malformed one.</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (var _ in this) n++;
            return n;
        }
    }

    public Enumerator GetEnumerator() => new(_datagram);

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        if (!_datagram.TryCopyTo(destination)) return false;
        written = _datagram.Length;
        return true;
    }

    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _datagram;
        private int _offset;
        private int _currentLength;

        internal Enumerator(ReadOnlySpan<byte> datagram) => _datagram = datagram;

        /// <summary>Set when the walk stopped before the end of the datagram because a packet did not parse.</summary>
        public bool IsMalformed { get; private set; }

        public readonly RtcpPacket Current
        {
            get
            {
                RtcpPacket.TryParse(_datagram.Slice(_offset - _currentLength, _currentLength), out var packet);
                return packet;
            }
        }

        public bool MoveNext()
        {
            if (_offset >= _datagram.Length) return false;
            if (!RtcpPacket.TryParse(_datagram.Slice(_offset), out var packet))
            {
                IsMalformed = true;
                _offset = _datagram.Length;
                _currentLength = 0;
                return false;
            }
            _currentLength = packet.Length;
            _offset += packet.Length;
            return true;
        }
    }
}
