using System.Security.Cryptography;

namespace TrainSage.Formats.Checkpoints;

public static class FileChecksum
{
    /// <summary>SHA-256 of the file's contents as 64 lowercase hex digits.</summary>
    public static string Sha256Hex(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
