using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Huddle.Media.Dtls;
using Huddle.Media.Rtcp;
using Huddle.Media.Rtp;
using Huddle.Media.Sdp;
using Huddle.Media.Transport;

namespace Huddle.Sfu;

/// <summary>A remote track as the subscribe offer describes it to the client.</summary>
public sealed record SubscribedTrack(string Mid, string ParticipantId, string Kind);

/// <summary>What an <see cref="SfuPeer"/> asks its signaling connection to deliver.</summary>
public interface ISfuPeerListener
{
    /// <summary>
    /// A new offer for the subscribe connection, with which participant each m-section carries, and the
    /// participants some of whose tracks wait for a free section (<see cref="Router.MaxSubscribedTracks"/>).
    /// </summary>
    void OnSubscribeOffer(SfuPeer peer, string sdp, IReadOnlyList<SubscribedTrack> tracks, IReadOnlyList<string> waiting);

    /// <summary>A transport failed or the peer's consent ran out: the participant is gone.</summary>
    void OnTransportFailed(SfuPeer peer, string reason);

    /// <summary>A transport changed state (for logs); <paramref name="publish"/> tells which of the two.</summary>
    void OnTransportStateChanged(SfuPeer peer, bool publish, WebRtcTransportState state, string? reason);
}

/// <summary>Raised for a description the SFU cannot use; the message is for the person.</summary>
public sealed class SfuNegotiationException(string message) : Exception(message);

/// <summary>
/// One participant on the SFU: at most two transports whatever the room size, one to publish (the
/// client offers, we answer) and one to subscribe (we offer every other participant's tracks, the
/// client answers), as mediasoup and LiveKit do.
/// </summary>
public sealed class SfuPeer : IWebRtcTransportListener, IDisposable
{
    private readonly Router _router;
    private readonly ISfuPeerListener _listener;
    private readonly object _negotiation = new();
    private readonly List<Slot> _slots = [];
    private readonly Dictionary<uint, Producer> _producersBySsrc = [];
    private Producer[] _producers = [];
    private bool _offerOutstanding;
    private bool _renegotiate;
    private bool _subscribeStarted;
    // Some other peer's track is not subscribed because every section was in use (Router.MaxSubscribedTracks).
    private bool _waitingTracks;
    private ulong _subscribeVersion;
    private ulong _publishVersion;
    private string? _publishRemoteUfrag;
    private SdpFingerprint? _publishRemoteFingerprint;
    private Slot[] _slotsBySsrc = [];

    /// <summary>A numbered m-section of the subscribe connection; a removed consumer leaves it inactive.</summary>
    private sealed class Slot(string mid, MediaKind kind)
    {
        public string Mid { get; } = mid;
        public MediaKind Kind { get; } = kind;
        public Consumer? Consumer;

        /// <summary>The subscribe offer version that first carried this empty slot as inactive (0: not yet).</summary>
        public ulong InactiveInOffer;

        /// <summary>The browser answered an offer with the slot inactive: it may carry another track now.</summary>
        public bool Reusable;
    }

    internal SfuPeer(Router router, string id, ISfuPeerListener listener)
    {
        _router = router;
        _listener = listener;
        Id = id;
        ReportSsrc = BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4)) | 1;
        PublishTransport = new WebRtcTransport(router.Socket, router.Dtls, DtlsRole.Server, this) { ConsentTimeout = router.ConsentTimeout };
        SubscribeTransport = new WebRtcTransport(router.Socket, router.Dtls, DtlsRole.Server, this) { ConsentTimeout = router.ConsentTimeout };
    }

    public string Id { get; }

    /// <summary>The SSRC our RTCP (PLI, reports) carries as sender on this peer's transports.</summary>
    public uint ReportSsrc { get; }

    /// <summary>The CNAME of our reports (RFC 3550 §6.5.1), the same on both transports.</summary>
    internal byte[] Cname { get; } = System.Text.Encoding.ASCII.GetBytes($"huddle-sfu-{Random.Shared.Next():x8}");

    public WebRtcTransport PublishTransport { get; }

    public WebRtcTransport SubscribeTransport { get; }

    public IReadOnlyList<Producer> Producers => Volatile.Read(ref _producers);

    /// <summary>Consumers this peer receives, in slot order.</summary>
    public IReadOnlyList<Consumer> Consumers
    {
        get
        {
            lock (_negotiation) return [.. _slots.Select(s => s.Consumer).OfType<Consumer>()];
        }
    }

    /// <summary>
    /// Answers the client's publish offer (audio and video it sends, sendonly). The tracks it announces
    /// become producers, and every other peer is offered them.
    /// </summary>
    public string Publish(string offerSdp)
    {
        if (!SessionDescription.TryParse(offerSdp, out SessionDescription? offer, out string? error) || offer is null)
            throw new SfuNegotiationException($"The publish offer is not valid SDP: {error}");
        var media = offer.Media.Where(m => m.Kind is SdpMediaKind.Audio or SdpMediaKind.Video && !m.IsRejected).ToList();
        if (media.Count == 0) throw new SfuNegotiationException("The publish offer has no audio or video.");
        string? ufrag = offer.IceUfragFor(media[0]);
        SdpFingerprint? fingerprint = offer.FingerprintsFor(media[0]).FirstOrDefault(f => f.IsSupportedHash);
        if (ufrag is null || fingerprint is null) throw new SfuNegotiationException("The publish offer lacks ICE credentials or a fingerprint.");
        if (_publishRemoteUfrag is not null && (_publishRemoteUfrag != ufrag || !fingerprint.Equals(_publishRemoteFingerprint)))
            throw new SfuNegotiationException("Changing ICE credentials or certificate on the publish connection is not supported.");

        var options = new AnswerOptions
        {
            IceUfrag = PublishTransport.LocalIce.Ufrag,
            IcePwd = PublishTransport.LocalIce.Password,
            Fingerprint = PublishTransport.LocalFingerprint,
            Candidates = _router.Candidates(),
            Codecs = new CodecPolicy { H264 = false, Vp9 = false, Av1 = false },
            HeaderExtensions = [RtpHeaderExtensionUris.Mid, RtpHeaderExtensionUris.AudioLevel],
            RtcpFeedback = [RtcpFeedbackTypes.Nack, RtcpFeedbackTypes.NackPli, RtcpFeedbackTypes.CcmFir],
            SessionVersion = ++_publishVersion,
            ChooseMedia = _ => MediaAnswerChoice.Receive,
        };
        // No RTX: the publisher then retransmits what we NACK as the original packet, which the cache,
        // the NACK generator and the consumers already understand.
        SessionDescription answer = SdpAnswerBuilder.Build(WithoutRtx(offer), options);
        if (_publishRemoteUfrag is null)
        {
            _publishRemoteUfrag = ufrag;
            _publishRemoteFingerprint = fingerprint;
            PublishTransport.Start(ufrag, fingerprint);
        }
        UpdateProducers(offer, answer);
        return answer.Write();
    }

    /// <summary>Applies the client's answer to our last subscribe offer.</summary>
    public void OnSubscribeAnswer(string answerSdp)
    {
        if (!SessionDescription.TryParse(answerSdp, out SessionDescription? answer, out string? error) || answer is null)
            throw new SfuNegotiationException($"The subscribe answer is not valid SDP: {error}");
        List<Consumer> started = [];
        bool freed = false, waiting;
        lock (_negotiation)
        {
            if (!_offerOutstanding) throw new SfuNegotiationException("No subscribe offer is waiting for an answer.");
            SdpMediaSection? first = answer.Media.FirstOrDefault(m => !m.IsRejected);
            if (first is not null && !_subscribeStarted)
            {
                string? ufrag = answer.IceUfragFor(first);
                SdpFingerprint? fingerprint = answer.FingerprintsFor(first).FirstOrDefault(f => f.IsSupportedHash);
                if (ufrag is null || fingerprint is null) throw new SfuNegotiationException("The subscribe answer lacks ICE credentials or a fingerprint.");
                if (answer.SetupFor(first) is SdpSetup.Passive) throw new SfuNegotiationException("The subscribe answer must take the DTLS client role (a=setup:active).");
                SubscribeTransport.Start(ufrag, fingerprint);
                _subscribeStarted = true;
            }
            foreach (Slot slot in _slots)
            {
                // This answer is to offer version _subscribeVersion (one offer outstanding at a time).
                if (slot.Consumer is null && slot.InactiveInOffer != 0 && slot.InactiveInOffer <= _subscribeVersion && !slot.Reusable)
                {
                    slot.Reusable = true;
                    freed = true;
                }
                if (slot.Consumer is { Active: false, Closed: false } consumer && answer.FindMedia(slot.Mid) is { IsRejected: false })
                {
                    consumer.Active = true;
                    started.Add(consumer);
                }
            }
            _offerOutstanding = false;
            waiting = _waitingTracks;
        }
        // A new subscriber needs a keyframe to start decoding; before the subscribe transport is up it
        // could not receive one, so the first request waits for the transport to connect.
        if (SubscribeTransport.State == WebRtcTransportState.Connected)
        {
            long now = Environment.TickCount64;
            foreach (Consumer consumer in started) consumer.Producer.RequestKeyFrame(now);
        }
        if (TakeRenegotiation()) Negotiate();
        // Someone left and their sections are free: tracks that waited for room take them.
        if (freed && waiting) _router.SubscribeToOthers(this);
    }

    /// <summary>
    /// Subscribes this peer to <paramref name="producers"/> (other peers' tracks) with one subscribe
    /// offer for all of them: a newcomer gets the whole room in one round trip, not one per track.
    /// </summary>
    internal void Subscribe(IEnumerable<Producer> producers, bool everyone = false)
    {
        bool added = false, heldBack = false;
        lock (_negotiation)
        {
            // Offered every track in the room: whatever is still held back after this is all that waits.
            if (everyone) _waitingTracks = false;
            foreach (Producer producer in producers)
            {
                if (producer.Closed || _slots.Any(s => s.Consumer?.Producer == producer)) continue;
                // A section left inactive by someone who left is reused for the same kind of media, so
                // the description stays as large as the room, not as its history (a long meeting with
                // comings and goings would otherwise grow by two sections per visit).
                Slot? slot = _slots.FirstOrDefault(s => s.Consumer is null && s.Kind == producer.Kind && s.Reusable);
                if (slot is null && _slots.Count >= _router.MaxSubscribedTracks)
                {
                    // The description would outgrow what a browser's answer may carry: this track waits
                    // until a section frees up (see OnSubscribeAnswer), and the others still get theirs.
                    _waitingTracks = true;
                    heldBack = true;
                    continue;
                }
                if (slot is null)
                {
                    slot = new Slot(_slots.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), producer.Kind);
                    _slots.Add(slot);
                }
                uint ssrc = _router.NewSsrc();
                byte payloadType = producer.Kind == MediaKind.Audio ? Router.OpusPayloadType : Router.Vp8PayloadType;
                var consumer = new Consumer(producer, this, slot.Mid, ssrc, payloadType);
                slot.Consumer = consumer;
                slot.InactiveInOffer = 0;
                slot.Reusable = false;
                producer.AddConsumer(consumer);
                added = true;
            }
            if (added) RebuildSsrcIndex();
        }
        // A track held back now is news too: the person sees why someone's picture does not come.
        if (added || heldBack) Negotiate();
    }

    /// <summary>Stops receiving every track of <paramref name="publisher"/>.</summary>
    internal void Unsubscribe(SfuPeer publisher)
    {
        bool changed = false;
        lock (_negotiation)
        {
            foreach (Slot slot in _slots)
            {
                if (slot.Consumer is { } consumer && ReferenceEquals(consumer.Producer.Owner, publisher))
                {
                    consumer.Detach();
                    SubscribeTransport.EndSendStream(consumer.Ssrc);
                    _router.ReleaseSsrc(consumer.Ssrc);
                    slot.Consumer = null;
                    changed = true;
                }
            }
            if (changed) RebuildSsrcIndex();
        }
        if (changed) Negotiate();
    }

    /// <summary>Sends a new subscribe offer, or remembers to once the outstanding one is answered.</summary>
    internal void Negotiate()
    {
        string sdp;
        List<SubscribedTrack> tracks;
        List<string> waiting;
        lock (_negotiation)
        {
            if (_offerOutstanding)
            {
                _renegotiate = true;
                return;
            }
            if (_slots.Count == 0) return;
            var media = new List<OfferMediaOptions>();
            tracks = [];
            foreach (Slot slot in _slots)
            {
                Consumer? consumer = slot.Consumer;
                SdpMediaKind kind = slot.Kind == MediaKind.Audio ? SdpMediaKind.Audio : SdpMediaKind.Video;
                SdpCodec codec = slot.Kind == MediaKind.Audio ? Router.OpusCodec : Router.Vp8Codec;
                media.Add(new OfferMediaOptions
                {
                    Mid = slot.Mid,
                    Kind = kind,
                    Codecs = [codec],
                    // A slot whose track ended stays in the BUNDLE group as inactive: rejecting a section
                    // (port 0) could take the BUNDLE tag away and with it the transport.
                    Direction = consumer is null ? SdpDirection.Inactive : SdpDirection.SendOnly,
                    Stream = consumer is null ? null : new SdpSendStream(consumer.Ssrc, $"huddle-{consumer.Producer.Owner.Id}",
                        consumer.Producer.Owner.Id, $"{consumer.Producer.Owner.Id}-{consumer.Producer.TrackId}"),
                });
                if (consumer is not null) tracks.Add(new SubscribedTrack(slot.Mid, consumer.Producer.Owner.Id, slot.Kind == MediaKind.Audio ? "audio" : "video"));
            }
            waiting = _waitingTracks ? WaitingPublishers() : [];
            if (waiting.Count == 0) _waitingTracks = false;
            ulong version = ++_subscribeVersion;
            foreach (Slot slot in _slots)
            {
                if (slot.Consumer is null && slot.InactiveInOffer == 0) slot.InactiveInOffer = version;
            }
            var offer = SdpOfferBuilder.Build(new OfferOptions
            {
                IceUfrag = SubscribeTransport.LocalIce.Ufrag,
                IcePwd = SubscribeTransport.LocalIce.Password,
                Fingerprint = SubscribeTransport.LocalFingerprint,
                Candidates = _router.Candidates(),
                Media = media,
                SessionVersion = version,
            });
            sdp = offer.Write();
            _offerOutstanding = true;
            _renegotiate = false;
        }
        _listener.OnSubscribeOffer(this, sdp, tracks, waiting);
    }

    /// <summary>Other participants with a published track this peer does not receive (under the negotiation lock).</summary>
    private List<string> WaitingPublishers()
    {
        var received = new HashSet<Producer>(_slots.Where(s => s.Consumer is not null).Select(s => s.Consumer!.Producer), ReferenceEqualityComparer.Instance);
        return [.. _router.Peers.Where(p => !ReferenceEquals(p, this) && p.Producers.Any(pr => !pr.Closed && !received.Contains(pr))).Select(p => p.Id)];
    }

    /// <summary>The subscribe transport just connected: everything it already carries starts from a keyframe.</summary>
    private void RequestKeyFramesForActiveConsumers()
    {
        long now = Environment.TickCount64;
        foreach (Slot slot in Volatile.Read(ref _slotsBySsrc))
        {
            if (slot.Consumer is { Active: true, Kind: MediaKind.Video } consumer) consumer.Producer.RequestKeyFrame(now);
        }
    }

    private bool TakeRenegotiation()
    {
        lock (_negotiation)
        {
            bool again = _renegotiate;
            _renegotiate = false;
            return again;
        }
    }

    private void RebuildSsrcIndex()
    {
        Volatile.Write(ref _slotsBySsrc, [.. _slots.Where(s => s.Consumer is not null)]);
    }

    private void UpdateProducers(SessionDescription offer, SessionDescription answer)
    {
        var added = new List<Producer>();
        foreach (SdpMediaSection section in offer.Media)
        {
            if (section.Kind is not (SdpMediaKind.Audio or SdpMediaKind.Video) || section.IsRejected) continue;
            if (!offer.DirectionFor(section).Sends()) continue;
            SdpMediaSection? answered = section.Mid is null ? null : answer.FindMedia(section.Mid);
            if (answered is null || answered.IsRejected) continue;
            SdpSsrcGroup? fid = section.SsrcGroups.FirstOrDefault(g => g.Semantics == "FID" && g.Ssrcs.Count == 2);
            uint? ssrc = fid?.Ssrcs[0] ?? (section.Ssrcs.Count > 0 ? section.Ssrcs[0].Ssrc : null);
            if (ssrc is null) continue;
            lock (_producersBySsrc)
            {
                if (_producersBySsrc.ContainsKey(ssrc.Value)) continue;
                SdpCodec? codec = answered.Codecs.FirstOrDefault(c => !c.IsRtx);
                if (codec is null) continue;
                MediaKind kind = section.Kind == SdpMediaKind.Audio ? MediaKind.Audio : MediaKind.Video;
                string trackId = section.Msids.FirstOrDefault()?.TrackId ?? section.Mid ?? kind.ToString();
                var producer = new Producer(this, trackId, kind, ssrc.Value, fid?.Ssrcs[1], (byte)codec.PayloadType, codec.ClockRate);
                _producersBySsrc[ssrc.Value] = producer;
                Volatile.Write(ref _producers, [.. _producers, producer]);
                added.Add(producer);
            }
        }
        if (added.Count > 0) _router.OnProducersAdded(added);
    }

    private static SessionDescription WithoutRtx(SessionDescription offer) => offer with
    {
        Media = offer.Media.Select(m =>
        {
            var rtx = m.Codecs.Where(c => c.IsRtx).Select(c => c.PayloadType.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
            return rtx.Count == 0 ? m : m with
            {
                Codecs = m.Codecs.Where(c => !c.IsRtx).ToValueList(),
                Formats = m.Formats.Where(f => !rtx.Contains(f)).ToValueList(),
                SsrcGroups = m.SsrcGroups.Where(g => g.Semantics != "FID").ToValueList(),
            };
        }).ToValueList(),
    };

    void IWebRtcTransportListener.OnStateChanged(WebRtcTransport transport, WebRtcTransportState state, string? reason)
    {
        _listener.OnTransportStateChanged(this, ReferenceEquals(transport, PublishTransport), state, reason);
        if (state == WebRtcTransportState.Failed) _listener.OnTransportFailed(this, reason ?? "transport failed");
        else if (state == WebRtcTransportState.Connected && ReferenceEquals(transport, SubscribeTransport)) RequestKeyFramesForActiveConsumers();
    }

    void IWebRtcTransportListener.OnRtp(WebRtcTransport transport, Span<byte> packet)
    {
        if (!ReferenceEquals(transport, PublishTransport)) return;
        if (!RtpHeader.TryParse(packet, out RtpHeader header)) return;
        // The copy-on-write array, not the dictionary: no lock per packet (two or three producers a peer).
        Producer? producer = ProducerBySsrc(header.Ssrc);
        if (producer is null)
        {
            Interlocked.Increment(ref _router.Socket.Counters.DroppedUnknownSsrc);
            return;
        }
        producer.OnRtp(packet, header, Environment.TickCount64);
    }

    void IWebRtcTransportListener.OnRtcp(WebRtcTransport transport, Span<byte> packet)
    {
        long now = Environment.TickCount64;
        if (ReferenceEquals(transport, PublishTransport))
        {
            // The publisher's sender reports feed the LSR/DLSR of our receiver reports (its RTT).
            foreach (RtcpPacket rtcp in new RtcpCompoundPacket(packet))
            {
                if (rtcp.PacketType != RtcpPacketType.SenderReport || !SenderReport.TryParse(rtcp.Bytes, out SenderReport sr)) continue;
                ProducerBySsrc(sr.Ssrc)?.OnSenderReport(sr.NtpTimestamp, now);
            }
            return;
        }
        if (!ReferenceEquals(transport, SubscribeTransport)) return;
        foreach (RtcpPacket rtcp in new RtcpCompoundPacket(packet))
        {
            if (rtcp.PacketType == RtcpPacketType.TransportFeedback && rtcp.Count == 1 && GenericNack.TryParse(rtcp.Bytes, out GenericNack nack))
            {
                // Lost on the way to this subscriber: resend from the producer's cache.
                if (ConsumerBySsrc(nack.MediaSsrc) is { } consumer)
                {
                    foreach (ushort seq in nack.LostSequenceNumbers) consumer.Retransmit(seq);
                }
                continue;
            }
            if (rtcp.PacketType == RtcpPacketType.ReceiverReport && ReceiverReport.TryParse(rtcp.Bytes, out ReceiverReport rr))
            {
                ulong ntpNow = NtpTime.FromUnixMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                foreach (ReceptionReport block in rr.Reports)
                {
                    ConsumerBySsrc(block.Ssrc)?.Stats.OnReceiverReport(block, ntpNow);
                }
                continue;
            }
            // Keyframe requests from this subscriber go to the publisher of the stream they name.
            if (rtcp.PacketType != RtcpPacketType.PayloadFeedback || rtcp.Body.Length < 8) continue;
            int format = rtcp.Count;
            if (format is not (1 or 4)) continue; // PLI, FIR
            uint mediaSsrc = format == 1
                ? BinaryPrimitives.ReadUInt32BigEndian(rtcp.Body[4..])
                : rtcp.Body.Length >= 12 ? BinaryPrimitives.ReadUInt32BigEndian(rtcp.Body[8..]) : 0;
            foreach (Slot slot in Volatile.Read(ref _slotsBySsrc))
            {
                if (slot.Consumer is { } consumer && consumer.Ssrc == mediaSsrc) consumer.Producer.RequestKeyFrame(Environment.TickCount64);
            }
        }
    }

    private Producer? ProducerBySsrc(uint ssrc)
    {
        foreach (Producer producer in Volatile.Read(ref _producers))
        {
            if (producer.Ssrc == ssrc) return producer;
        }
        return null;
    }

    private Consumer? ConsumerBySsrc(uint ssrc)
    {
        foreach (Slot slot in Volatile.Read(ref _slotsBySsrc))
        {
            if (slot.Consumer is { } consumer && consumer.Ssrc == ssrc) return consumer;
        }
        return null;
    }

    internal IEnumerable<Producer> CloseProducers()
    {
        Producer[] producers = Interlocked.Exchange(ref _producers, []);
        foreach (Producer producer in producers) producer.Close();
        return producers;
    }

    public void Dispose()
    {
        lock (_negotiation)
        {
            foreach (Slot slot in _slots)
            {
                if (slot.Consumer is { } consumer)
                {
                    consumer.Detach();
                    _router.ReleaseSsrc(consumer.Ssrc);
                    slot.Consumer = null;
                }
            }
        }
        CloseProducers();
        PublishTransport.Dispose();
        SubscribeTransport.Dispose();
    }
}
