using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using Huddle.Media.Dtls;
using Huddle.Media.Rtp;
using Huddle.Media.Srtp;

namespace Huddle.Bench.Media;

/// <summary>The per-packet costs of the media stack, with allocations (BenchmarkDotNet's MemoryDiagnoser).</summary>
public static class MediaBenchmarks
{
    public static int Run(string[] args)
    {
        IConfig config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summary = BenchmarkSwitcher.FromTypes([typeof(SrtpBenchmarks), typeof(AeadBackendBenchmarks), typeof(RtpBenchmarks), typeof(DtlsBenchmarks)])
            .Run(args.Length == 0 ? ["--filter", "*"] : args, config);
        return summary.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}

/// <summary>Protect then unprotect one 1,200-byte RTP packet (sender and receiver contexts).</summary>
[MemoryDiagnoser]
public class SrtpBenchmarks
{
    [Params(SrtpProfile.AeadAes128Gcm, SrtpProfile.AesCm128HmacSha1_80)]
    public SrtpProfile Profile { get; set; }

    private SrtpContext _sender = null!;
    private SrtpContext _receiver = null!;
    private readonly byte[] _plain = new byte[1200];
    private readonly byte[] _buffer = new byte[1200 + 32];
    private ushort _seq;

    [GlobalSetup]
    public void Setup()
    {
        var key = new byte[SrtpProfiles.KeyLength(Profile)];
        var salt = new byte[SrtpProfiles.SaltLength(Profile)];
        Random.Shared.NextBytes(key);
        Random.Shared.NextBytes(salt);
        _sender = new SrtpContext(Profile, key, salt);
        _receiver = new SrtpContext(Profile, key, salt);
        Random.Shared.NextBytes(_plain);
        _plain[0] = 0x80;
        _plain[1] = 96;
        BinaryPrimitives.WriteUInt32BigEndian(_plain.AsSpan(8), 0x12345678);
    }

    [Benchmark(Description = "SRTP protect+unprotect 1200 B")]
    public int ProtectUnprotect()
    {
        _plain.CopyTo(_buffer, 0);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(2), ++_seq);
        _sender.TryProtectRtp(_buffer, _plain.Length, out int n);
        _receiver.TryUnprotectRtp(_buffer, n, out int plain);
        return plain;
    }
}

/// <summary>
/// The choice of AES-GCM backend: libcrypto's EVP through P/Invoke (what SrtpContext uses) against .NET's
/// AesGcm, sealing and opening 1,200 bytes with a 12-byte header as AAD, and opening a forged packet.
/// </summary>
[MemoryDiagnoser]
public class AeadBackendBenchmarks
{
    private readonly byte[] _key = new byte[16];
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _aad = new byte[12];
    private readonly byte[] _data = new byte[1200];
    private readonly byte[] _tag = new byte[16];
    private System.Security.Cryptography.AesGcm _dotnet = null!;
    private Huddle.Media.Srtp.SrtpCipher _evpSeal = null!;
    private Huddle.Media.Srtp.SrtpCipher _evpOpen = null!;

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_key);
        Random.Shared.NextBytes(_data);
        _dotnet = new System.Security.Cryptography.AesGcm(_key, 16);
        _evpSeal = Huddle.Media.Srtp.SrtpCipher.Gcm(_key, decrypt: false);
        _evpOpen = Huddle.Media.Srtp.SrtpCipher.Gcm(_key, decrypt: true);
    }

    [Benchmark(Baseline = true, Description = "libcrypto EVP: seal+open 1200 B")]
    public bool Evp()
    {
        _evpSeal.Seal(_nonce, _aad, default, _data, _tag);
        return _evpOpen.Open(_nonce, _aad, default, _data, _tag);
    }

    [Benchmark(Description = ".NET AesGcm: seal+open 1200 B")]
    public bool DotNet()
    {
        _dotnet.Encrypt(_nonce, _data, _data, _tag, _aad);
        _dotnet.Decrypt(_nonce, _data, _tag, _data, _aad);
        return true;
    }

    [Benchmark(Description = "libcrypto EVP: open a forged packet")]
    public bool EvpForged()
    {
        _tag[0] ^= 1;
        bool ok = _evpOpen.Open(_nonce, _aad, default, _data, _tag);
        _tag[0] ^= 1;
        return ok;
    }

    [Benchmark(Description = ".NET AesGcm: open a forged packet")]
    public bool DotNetForged()
    {
        _tag[0] ^= 1;
        try
        {
            _dotnet.Decrypt(_nonce, _data, _tag, _data, _aad);
            return true;
        }
        catch (System.Security.Cryptography.AuthenticationTagMismatchException)
        {
            return false;
        }
        finally
        {
            _tag[0] ^= 1;
        }
    }
}

/// <summary>What an SFU does to each forwarded packet's header: parse, rewrite SSRC/sequence/timestamp, write.</summary>
[MemoryDiagnoser]
public class RtpBenchmarks
{
    // A Chrome-like VP8 packet: one-byte extensions (mid, abs-send-time, transport-wide CC), 1,100 bytes of payload.
    private readonly byte[] _packet = BuildPacket();
    private readonly byte[] _out = new byte[1500];

    private static byte[] BuildPacket()
    {
        byte[] header = Convert.FromHexString("90600001" + "00002710" + "11223344" + "BEDE0003" + "10302221" + "22233201" + "02000000");
        var packet = new byte[header.Length + 1100];
        header.CopyTo(packet, 0);
        return packet;
    }

    [Benchmark(Description = "RTP parse + rewrite + serialize")]
    public int ParseRewriteSerialize()
    {
        if (!RtpHeader.TryParse(_packet, out RtpHeader header)) return -1;
        ushort seq = (ushort)(header.SequenceNumber + 1000);
        uint timestamp = header.Timestamp + 90_000;
        header.TryWrite(_out, out int written);
        Span<byte> copy = _out.AsSpan(0, written);
        RtpHeader.SetSsrc(copy, 0xCAFEBABE);
        RtpHeader.SetSequenceNumber(copy, seq);
        RtpHeader.SetTimestamp(copy, timestamp);
        return written;
    }
}

/// <summary>A whole DTLS 1.2 handshake between two of our endpoints in memory, ECDSA P-256.</summary>
[MemoryDiagnoser]
public class DtlsBenchmarks
{
    private DtlsContext _client = null!;
    private DtlsContext _server = null!;

    private sealed class Wire : IDtlsHandler
    {
        public DtlsTransport? Peer;

        public void SendDtls(ReadOnlySpan<byte> datagram) => Peer?.Receive(datagram);

        public void OnDtlsStateChanged(DtlsState state, string? reason)
        {
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _client = new DtlsContext();
        _server = new DtlsContext();
    }

    [Benchmark(Description = "DTLS handshake (both sides)")]
    public DtlsState Handshake()
    {
        var a = new Wire();
        var b = new Wire();
        using var client = new DtlsTransport(_client, DtlsRole.Client, a);
        using var server = new DtlsTransport(_server, DtlsRole.Server, b);
        a.Peer = server;
        b.Peer = client;
        server.Start(_client.Certificate.Fingerprint);
        client.Start(_server.Certificate.Fingerprint);
        return client.State;
    }
}
