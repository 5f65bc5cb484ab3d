using System.Net;
using System.Net.Sockets;
using System.Text;
using Huddle.Media.Stun;

namespace Huddle.Media.Ice;

/// <summary>What a connectivity check did.</summary>
public enum IceCheckOutcome
{
    /// <summary>Not for us or not authentic: nothing is sent back (no reflection to spoofed senders).</summary>
    Dropped,
    /// <summary>Answered; the sender's address is now a valid pair.</summary>
    Answered,
    /// <summary>Answered, and the peer nominated this address (USE-CANDIDATE): media goes here from now on.</summary>
    Nominated,
}

/// <summary>
/// The server's side of ICE: a lite agent (RFC 8445 §2.5) that only answers checks. It never sends checks
/// of its own, is always controlled, and uses the address the controlling peer nominated. Consent
/// (RFC 7675) is kept by the peer's checks: a peer that stops sending them for
/// <see cref="ConsentTimeout"/> has gone.
/// </summary>
/// <remarks>Used by one thread at a time (the socket's receive loop); readers of the state tolerate staleness.</remarks>
public sealed class IceLiteAgent
{
    /// <summary>RFC 7675 §5.1: consent expires 30 s after the last successful check.</summary>
    public static readonly TimeSpan DefaultConsentTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long without an authentic check before the peer counts as gone.</summary>
    public TimeSpan ConsentTimeout { get; set; } = DefaultConsentTimeout;

    private readonly byte[] _localPassword;
    private byte[] _expectedUsernamePrefix;
    private string? _remoteUfrag;

    public IceLiteAgent(IceCredentials local)
    {
        Local = local;
        _localPassword = Encoding.ASCII.GetBytes(local.Password);
        _expectedUsernamePrefix = Encoding.ASCII.GetBytes(local.Ufrag + ":");
    }

    public IceCredentials Local { get; }

    /// <summary>The address media goes to: the nominated one, or until then the last that passed a check.</summary>
    public SocketAddress? SelectedAddress { get; private set; }

    public bool IsNominated { get; private set; }

    /// <summary><see cref="Environment.TickCount64"/> of the last authentic check, or 0.</summary>
    public long LastCheckTicks { get; private set; }

    /// <summary>The peer's ufrag from its SDP; checks must name it after ours (RFC 8445 §7.2.2).</summary>
    public void SetRemoteUfrag(string ufrag)
    {
        _remoteUfrag = ufrag;
        _expectedUsernamePrefix = Encoding.ASCII.GetBytes(Local.Ufrag + ":" + ufrag);
    }

    /// <summary>Whether the peer's consent has run out at <paramref name="nowTicks"/>.</summary>
    public bool ConsentExpired(long nowTicks) =>
        LastCheckTicks != 0 && nowTicks - LastCheckTicks > (long)ConsentTimeout.TotalMilliseconds;

    /// <summary>
    /// Answers a Binding request from <paramref name="from"/>: USERNAME must be "ours:theirs" and
    /// MESSAGE-INTEGRITY must verify with our password (RFC 8445 §7.3). The success response carries
    /// XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT.
    /// </summary>
    public IceCheckOutcome HandleRequest(in StunMessage request, SocketAddress from, Span<byte> response, out int responseLength)
    {
        responseLength = 0;
        if (request.Class != StunClass.Request || request.Method != StunMethod.Binding) return IceCheckOutcome.Dropped;
        if (!request.TryGetAttribute(StunAttributeType.Username, out ReadOnlySpan<byte> username)) return IceCheckOutcome.Dropped;
        if (_remoteUfrag is null ? !username.StartsWith(_expectedUsernamePrefix) : !username.SequenceEqual(_expectedUsernamePrefix))
            return IceCheckOutcome.Dropped;
        if (request.HasFingerprint && !request.VerifyFingerprint()) return IceCheckOutcome.Dropped;
        if (!request.VerifyIntegrity(_localPassword)) return IceCheckOutcome.Dropped;

        IPEndPoint? endPoint = ToEndPoint(from);
        if (endPoint is null) return IceCheckOutcome.Dropped;
        var writer = new StunWriter(response, StunMethod.Binding, StunClass.SuccessResponse, request.TransactionId);
        writer.AddXorAddress(endPoint.Address, endPoint.Port);
        writer.AddMessageIntegrity(_localPassword);
        writer.AddFingerprint();
        if (!writer.TryComplete(out responseLength)) return IceCheckOutcome.Dropped;

        LastCheckTicks = Environment.TickCount64;
        bool nominate = request.HasAttribute(StunAttributeType.UseCandidate);
        if (nominate || !IsNominated)
        {
            // RFC 8445 §8.2: a lite agent uses the pair the controlling agent nominated; before any
            // nomination, the freshest valid pair lets DTLS start.
            if (SelectedAddress is null || !SelectedAddress.Equals(from)) SelectedAddress = Copy(from);
            if (nominate) IsNominated = true;
        }
        return nominate ? IceCheckOutcome.Nominated : IceCheckOutcome.Answered;
    }

    internal static SocketAddress Copy(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }

    internal static IPEndPoint? ToEndPoint(SocketAddress address)
    {
        try
        {
            IPEndPoint endPoint = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(address);
            return endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
        }
        catch (Exception e) when (e is ArgumentException or SocketException)
        {
            return null;
        }
    }
}
