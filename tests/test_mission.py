"""The mission: every setting the shipped guide recommends is real in today's Zephyr.

One test per recommended setting, named after the recommendation and the
symbol, so a failure reads "REC-STACK-CANARIES/STACK_CANARIES" in the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secguide.diagnostics import SecguideError, Severity
from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.model.releases import introduced_later
from secguide.trace.validate import check_value, validate_model
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parent.parent
try:
    MODEL, LOAD_DIAGNOSTICS = load_threat_model(REPO / "threatmodel", display_base=REPO)
except SecguideError as error:  # reported by test_shipped_model_loads_cleanly, not at collection
    MODEL, LOAD_DIAGNOSTICS = ThreatModel(), [error]
ACTIVE_SETTINGS = [
    (rec, setting)
    for rec in MODEL.recommendations if rec.deprecation is None
    for setting in rec.settings if setting.since is None
]
#: Settings kept for the Zephyr release that introduces their symbol (``since``).
LATER_SETTINGS = [
    (rec, setting)
    for rec in MODEL.recommendations if rec.deprecation is None
    for setting in rec.settings if setting.since is not None
]


def test_shipped_model_loads_cleanly() -> None:
    assert [str(d) for d in LOAD_DIAGNOSTICS] == []
    assert len(ACTIVE_SETTINGS) >= 20, "the guide recommends at least twenty settings"


# Each case verifies its recommendation (``secguide.pytest_plugin`` writes the link
# into --junitxml reports; ``secguide coverage --results`` reads it back).
@pytest.mark.parametrize(("rec", "setting"), [
    pytest.param(rec, setting, id=f"{rec.id}/{setting.symbol}",
                 marks=pytest.mark.verifies(rec.id))
    for rec, setting in ACTIVE_SETTINGS])
def test_recommended_setting_is_real(rec, setting, db_v4: SymbolDB) -> None:
    symbol = db_v4.get(setting.symbol)
    assert symbol is not None, (
        f"{setting.loc}: {setting.config_name} does not exist in Zephyr {db_v4.zephyr_version}")
    problems = [str(d) for d in check_value(setting, symbol)
                if d.severity is Severity.ERROR]
    assert problems == []


# Not marked ``verifies``: on a tree older than ``since`` this proves only that the
# symbol is still to come, which verifies nothing about the recommendation.
@pytest.mark.parametrize(("rec", "setting"), [
    pytest.param(rec, setting, id=f"{rec.id}/{setting.symbol}@{setting.since}")
    for rec, setting in LATER_SETTINGS])
def test_later_release_setting_is_absent_until_its_release(rec, setting,
                                                           db_v4: SymbolDB) -> None:
    symbol = db_v4.get(setting.symbol)
    if introduced_later(setting, db_v4.zephyr_version):
        assert symbol is None, (
            f"{setting.loc}: {setting.config_name} exists in Zephyr {db_v4.zephyr_version}; "
            f"'since: {setting.since}' is wrong and hides the value check")
    else:
        assert symbol is not None, f"{setting.loc}: {setting.config_name} is missing"
        assert [d for d in check_value(setting, symbol) if d.severity is Severity.ERROR] == []


def test_shipped_model_has_no_errors_on_v4(db_v4: SymbolDB) -> None:
    errors = [str(d) for d in validate_model(MODEL, db_v4) if d.severity is Severity.ERROR]
    assert errors == []


#: Recommended settings whose symbols Zephyr 1.13 (2018, the draft's era) did not have yet.
#: Each was confirmed independently with grep over both trees' Kconfig files
#: (no ``config NAME`` line in v1.13.0, one in v4.2.99).
NOT_YET_IN_1_13 = {
    "ARM_PACBTI_STANDARD", "BOUNDS_CHECK_BYPASS_MITIGATION", "BT_BR_MIN_ENC_KEY_SIZE",
    "BT_CONN_DISABLE_SECURITY", "BT_CSIP_SET_COORDINATOR_TEST_SAMPLE_DATA",
    "BT_CSIP_SET_MEMBER_TEST_SAMPLE_DATA", "BT_DEBUG_MONITOR_UART",
    "BT_ID_ALLOW_UNAUTH_OVERWRITE", "BT_KEYS_LOG_LEVEL_DBG", "BT_LOG_SNIFFER_INFO",
    "BT_OOB_DATA_FIXED", "BT_SMP_ALLOW_UNAUTH_OVERWRITE", "BT_SMP_ENFORCE_MITM",
    "BT_SMP_LOG_LEVEL_DBG", "BT_SMP_MIN_ENC_KEY_SIZE", "BT_SMP_SC_PAIR_ONLY",
    "BT_STORE_DEBUG_KEYS", "BUILD_WITH_TFM", "CC3235SF_DEBUG", "CORTEX_M_DEBUG_MONITOR_HOOK",
    "CTR_DRBG_CSPRNG_GENERATOR", "DEBUG_COREDUMP", "DEBUG_THREAD_INFO", "DEVMEM_SHELL",
    "DMA_INTEL_ADSP_GPDMA_DEBUG", "EEPROM_SHELL", "ESPI_PERIPHERAL_DEBUG_PORT_80",
    "ETH_E1000_VERBOSE_DEBUG", "FLASH_SHELL", "FORTIFY_SOURCE_NONE", "FORTIFY_SOURCE_RUN_TIME",
    "FPU_SHARING", "GDBSTUB", "HARDWARE_DEVICE_CS_GENERATOR", "HAWKBIT_USE_TLS",
    "MBEDTLS_MEMORY_DEBUG",
    "MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG", "MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG_ALLOW_NON_CSPRNG",
    "MBEDTLS_SSL_EXTENDED_MASTER_SECRET", "MCUBOOT_GENERATE_UNSIGNED_IMAGE", "MCUMGR_GRP_FS",
    "MCUMGR_GRP_IMG_VERBOSE_ERR", "MCUMGR_GRP_SHELL", "MCUMGR_TRANSPORT_UDP_DTLS",
    "MODEM_CONTEXT_VERBOSE_DEBUG", "NET_CAPTURE", "NET_TCP_ISN_RFC6528", "NET_ZPERF",
    "OBJ_CORE", "PROFILING", "PSA_CRYPTO_ENABLE_ALL", "RISCV_PMP", "RTS5912_DEBUG_SWJ",
    "SAE_PWE_EARLY_EXIT", "SETTINGS_SHELL", "SHELL", "SHELL_BACKEND_TELNET",
    "SOC_ATMEL_SAML_DEBUG_PAUSE", "SOC_ATMEL_SAM_DISABLE_ERASE_PIN", "SOC_ATMEL_SAM_WAIT_MODE",
    "SOC_IT8XXX2_JTAG_DEBUG_INTERFACE", "SOC_MEC1501_DEBUG_DISABLED", "SOC_NPCK_DEBUG_DISABLE",
    "STACK_CANARIES_ALL", "STACK_CANARIES_STRONG", "STM32_ENABLE_DEBUG_SLEEP_STOP", "SYMTAB",
    "SYS_HEAP_INFO",
    "SYS_HEAP_RUNTIME_STATS", "SYS_HEAP_STRESS", "TEST_CSPRNG_GENERATOR",
    "TFM_CMAKE_BUILD_TYPE_DEBUG", "TFM_DUMMY_PROVISIONING", "TFM_EXCEPTION_INFO_DUMP",
    "TFM_ISOLATION_LEVEL", "TFM_SPM_LOG_LEVEL_DEBUG", "THREAD_ANALYZER", "THREAD_NAME",
    "THREAD_RUNTIME_STATS", "UPDATEHUB_DTLS", "USBD_DFU_ENABLE_UPLOAD",
    "USB_DFU_ENABLE_UPLOAD", "USB_DFU_PERMANENT_DOWNLOAD",
    "USERSPACE_THREAD_MAY_RAISE_PRIORITY", "USE_SEGGER_RTT", "WIFI_CREDENTIALS_STATIC",
    "WIFI_NM_WPA_SUPPLICANT_DEBUG_SHOW_KEYS", "X86_CET", "X86_CET_IBT", "X86_DEBUG_INFO",
    "X86_DISABLE_SSBD", "X86_ENABLE_EXTENDED_IBRS", "X86_KPTI", "X86_PAE",
    "XOSHIRO_RANDOM_GENERATOR",
}


def test_check_against_zephyr_1_13_names_the_settings_that_did_not_exist_yet(
        db_v1: SymbolDB) -> None:
    diagnostics = validate_model(MODEL, db_v1)
    unknown = [d for d in diagnostics if d.code == "unknown-symbol"
               and d.severity is Severity.ERROR]
    reported = {d.message.split()[0].removeprefix("CONFIG_") for d in unknown}
    assert reported == NOT_YET_IN_1_13
    # one error per setting and symbol: STACK_CANARIES_STRONG and STACK_CANARIES_ALL are
    # each named by two canary settings (as the symbol or an accepted alternative)
    assert len(unknown) == len(NOT_YET_IN_1_13) + 2
    assert all(d.message.endswith("1.13.0") or "does not exist in Zephyr 1.13.0" in d.message
               for d in unknown)
