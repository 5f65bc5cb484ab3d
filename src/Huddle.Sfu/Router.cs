using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Huddle.Media.Dtls;
using Huddle.Media.Sdp;
using Huddle.Media.Udp;

namespace Huddle.Sfu;

/// <summary>
/// The media side of one SFU room: its peers, and who receives whose tracks. Every peer is subscribed
/// to every other peer's producers. Control calls (join, leave, publish) come from signaling threads;
/// media flows on the socket's receive thread through <see cref="Producer"/> and <see cref="Consumer"/>.
/// </summary>
public sealed class Router : IDisposable
{
    /// <summary>Payload types of the subscribe offers; consumers rewrite to these.</summary>
    public const byte OpusPayloadType = 111;
    public const byte Vp8PayloadType = 96;

    internal static readonly SdpCodec OpusCodec = WebRtcCodecs.Opus(OpusPayloadType) with { RtcpFeedback = [] };
    internal static readonly SdpCodec Vp8Codec = WebRtcCodecs.Vp8(Vp8PayloadType) with
    {
        RtcpFeedback = [RtcpFeedbackTypes.Nack, RtcpFeedbackTypes.NackPli, RtcpFeedbackTypes.CcmFir],
    };

    private readonly ConcurrentDictionary<string, SfuPeer> _peers = new(StringComparer.Ordinal);
    private readonly Func<IReadOnlyList<IPEndPoint>> _candidates;
    private readonly HashSet<uint> _ssrcs = [];

    public Router(string name, UdpMediaSocket socket, DtlsContext dtls, Func<IReadOnlyList<IPEndPoint>> candidates, TimeSpan? consentTimeout = null)
    {
        Name = name;
        ConsentTimeout = consentTimeout ?? Huddle.Media.Ice.IceLiteAgent.DefaultConsentTimeout;
        Socket = socket;
        Dtls = dtls;
        _candidates = candidates;
    }

    public string Name { get; }

    /// <summary>The most tracks one subscriber of this router receives (<see cref="DefaultMaxSubscribedTracks"/>).</summary>
    public const int DefaultMaxSubscribedTracks = SessionDescription.MaxMediaSections;

    /// <summary>
    /// The most other people's tracks one subscriber receives at once: one m-section each in its subscribe
    /// description, whose answer must fit a signaling message. Tracks past it wait until sections free up.
    /// </summary>
    public int MaxSubscribedTracks
    {
        get => _maxSubscribedTracks;
        init => _maxSubscribedTracks = value is >= 1 and <= SessionDescription.MaxMediaSections ? value
            : throw new ArgumentOutOfRangeException(nameof(value), $"1 to {SessionDescription.MaxMediaSections}");
    }

    private readonly int _maxSubscribedTracks = DefaultMaxSubscribedTracks;

    /// <summary>RFC 7675 consent timeout of every transport of this router.</summary>
    public TimeSpan ConsentTimeout { get; }

    internal UdpMediaSocket Socket { get; }

    internal DtlsContext Dtls { get; }

    public IReadOnlyCollection<SfuPeer> Peers => [.. _peers.Values];

    /// <summary>Adds a peer and subscribes it to everything already published.</summary>
    public SfuPeer AddPeer(string id, ISfuPeerListener listener)
    {
        var peer = new SfuPeer(this, id, listener);
        if (!_peers.TryAdd(id, peer))
        {
            peer.Dispose();
            throw new InvalidOperationException($"peer {id} is already in the router");
        }
        SubscribeToOthers(peer);
        return peer;
    }

    /// <summary>Subscribes <paramref name="peer"/> to every track others publish that it does not receive yet.</summary>
    internal void SubscribeToOthers(SfuPeer peer) =>
        peer.Subscribe(_peers.Values.Where(other => !ReferenceEquals(other, peer)).SelectMany(other => other.Producers).ToList(), everyone: true);

    /// <summary>Removes the peer: its producers stop, everyone else's subscription to them ends.</summary>
    public void RemovePeer(string id)
    {
        if (!_peers.TryRemove(id, out SfuPeer? peer)) return;
        peer.CloseProducers();
        foreach (SfuPeer other in _peers.Values) other.Unsubscribe(peer);
        peer.Dispose();
    }

    public SfuPeer? Find(string id) => _peers.TryGetValue(id, out SfuPeer? peer) ? peer : null;

    internal void OnProducersAdded(IReadOnlyList<Producer> producers)
    {
        SfuPeer owner = producers[0].Owner;
        foreach (SfuPeer other in _peers.Values)
        {
            if (!ReferenceEquals(other, owner)) other.Subscribe(producers);
        }
    }

    internal IReadOnlyList<SdpCandidate> Candidates()
    {
        int foundation = 1;
        return [.. _candidates().Select(c => SdpCandidate.Host(c.Address.ToString(), c.Port,
            SdpCandidate.ComputePriority(126, 65535 - foundation, 1), (foundation++).ToString(System.Globalization.CultureInfo.InvariantCulture)))];
    }

    /// <summary>A random SSRC not used by any consumer of this router.</summary>
    internal uint NewSsrc()
    {
        lock (_ssrcs)
        {
            while (true)
            {
                uint ssrc = BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4));
                if (ssrc != 0 && _ssrcs.Add(ssrc)) return ssrc;
            }
        }
    }

    /// <summary>A consumer's SSRC is free again (its consumer was removed).</summary>
    internal void ReleaseSsrc(uint ssrc)
    {
        lock (_ssrcs) _ssrcs.Remove(ssrc);
    }

    public void Dispose()
    {
        foreach (string id in _peers.Keys) RemovePeer(id);
    }
}
