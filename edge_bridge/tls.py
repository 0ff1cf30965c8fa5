"""The bridge's TLS certificate: made at first start, kept in the data directory, pinned by clients.

The bridge API and the engine both serve HTTPS with one self-signed certificate (ECDSA P-256).
Nobody is asked to trust it through a certificate authority: Home Assistant pins the SHA-256 of
its DER encoding, whose first bytes are part of the pairing code the owner types, so a device
that merely answers at the bridge's address cannot pass for it. The private key never leaves
``<data_dir>/tls`` (directory 0700, key 0600).

Deleting the directory makes a new certificate at the next start; every client must then pair
again (Home Assistant raises a repair issue), which is also how a stolen bridge key is retired.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import datetime as dt
import ipaddress
import logging
import os
from pathlib import Path
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .protocol import certificate_sha256

_LOGGER = logging.getLogger(__name__)

CERT_FILE = "bridge-cert.pem"
KEY_FILE = "bridge-key.pem"
# The engine run alone (engine-only mode) keeps its own certificate under its data directory.
ENGINE_CERT_FILE = "engine-cert.pem"
ENGINE_KEY_FILE = "engine-key.pem"
VALID_DAYS = 20 * 365  # the pin, not the expiry date, is what clients check


class CertificateError(Exception):
    """The certificate or its key cannot be read, made or stored."""


@dataclass(frozen=True, slots=True)
class BridgeCertificate:
    """Where the certificate and key are, and the pin clients check."""

    cert_path: Path
    key_path: Path
    der: bytes

    @property
    def sha256(self) -> bytes:
        """The pin: SHA-256 of the certificate's DER encoding."""
        return bytes(certificate_sha256(self.der))

    @property
    def fingerprint(self) -> str:
        """The pin as colon-separated hex, for logs and for comparing by eye."""
        return ":".join(f"{byte:02X}" for byte in self.sha256)

    @property
    def alt_names(self) -> tuple[str, ...]:
        """The host names and addresses the certificate names (empty for a bridge's)."""
        cert = x509.load_der_x509_certificate(self.der)
        try:
            names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return ()
        hosts = [str(name) for name in names.get_values_for_type(x509.DNSName)]
        return (*hosts, *(str(ip) for ip in names.get_values_for_type(x509.IPAddress)))

    def server_context(self) -> ssl.SSLContext:
        """A server-side TLS context (TLS 1.2 or newer) with this certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(self.cert_path, self.key_path)
        except (OSError, ssl.SSLError) as err:
            raise CertificateError(f"cannot load {self.cert_path}: {err}") from err
        return context


def load_or_create_certificate(
    directory: Path,
    common_name: str = "SmartShop bridge",
    *,
    files: tuple[str, str] = (CERT_FILE, KEY_FILE),
    alt_names: Sequence[str] = (),
) -> BridgeCertificate:
    """The certificate in ``directory``, made (with its key) on first use.

    ``alt_names`` (host names and IP addresses) go into a new certificate's subject alternative
    names, so a client that verifies it against the certificate file itself (instead of a pin)
    can check the name it connects to.
    """
    cert_path, key_path = directory / files[0], directory / files[1]
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if directory.stat().st_mode & 0o077:
            directory.chmod(0o700)
        if cert_path.exists() and key_path.exists():
            if key_path.stat().st_mode & 0o077:
                _LOGGER.warning("TLS key %s was readable by others; tightened to 0600", key_path)
                key_path.chmod(0o600)
            return BridgeCertificate(cert_path, key_path, _read_der(cert_path))
        return _create(cert_path, key_path, common_name, alt_names)
    except OSError as err:
        raise CertificateError(f"cannot use the TLS directory {directory}: {err}") from err


def _read_der(cert_path: Path) -> bytes:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError as err:
        raise CertificateError(
            f"{cert_path} is damaged; delete it and its key to make a new certificate "
            "(every client must then pair again)"
        ) from err
    return cert.public_bytes(serialization.Encoding.DER)


def _general_names(alt_names: Sequence[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for text in dict.fromkeys(name.strip().lower() for name in alt_names if name.strip()):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(text)))
        except ValueError:
            try:
                names.append(x509.DNSName(text.encode("idna").decode("ascii")))
            except UnicodeError:
                _LOGGER.warning("%r is not a host name; left out of the certificate", text)
    return names


def _create(
    cert_path: Path, key_path: Path, common_name: str, alt_names: Sequence[str] = ()
) -> BridgeCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if general_names := _general_names(alt_names):
        builder = builder.add_extension(x509.SubjectAlternativeName(general_names), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(key_path, key_pem)
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    made = BridgeCertificate(cert_path, key_path, cert.public_bytes(serialization.Encoding.DER))
    _LOGGER.info("made a new TLS certificate, SHA-256 %s", made.fingerprint)
    return made


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically, mode 0600."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
