namespace HoopProxy.Postgres.Masking;

/// <summary>The names of the built-in detectors, as rules spell them.</summary>
public static class DetectorNames
{
    public const string UsSsn = "us-ssn";
    public const string PaymentCard = "payment-card";
    public const string Email = "email";
    public const string Phone = "phone";
    public const string Iban = "iban";
    public const string AbaRouting = "aba-routing";
}
