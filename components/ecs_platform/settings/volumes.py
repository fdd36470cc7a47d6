"""Settings of a workload's managed EBS volume (``ebsVolume`` of a service or worker): one volume per task, created
when the task starts and deleted when it stops."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from .. import validation
from .._volumes import DEFAULT_FILE_SYSTEM_TYPE, DEFAULT_PATH, DEFAULT_VOLUME_TYPE, EbsVolume, ebs_volume_problem
from .base import KeyProblem, _Settings


class EbsVolumeSettings(_Settings):
    """A managed EBS volume ECS creates for every task of the workload: scratch, not state."""

    path: str = Field(DEFAULT_PATH, description="Where the main container sees the volume, writable.")
    size_gib: int = Field(alias="sizeGib", description="Size in GiB (gp3: 1 to 16384). Required.")
    volume_type: str = Field(DEFAULT_VOLUME_TYPE, description="gp3, gp2, io1, io2, st1 or sc1.")
    iops: Optional[int] = Field(None, description="Provisioned IOPS: gp3 3000-16000, io1/io2 (required there).")
    throughput: Optional[int] = Field(None, description="gp3 only: MiB/s, 125 to 1000.")
    kms_key_arn: Optional[str] = Field(None, description="Customer managed KMS key. Default: the account's EBS key.")
    file_system_type: str = Field(DEFAULT_FILE_SYSTEM_TYPE, description="ext3, ext4 or xfs.")

    @model_validator(mode="before")
    @classmethod
    def _one_volume(cls, value: Any) -> Any:
        if isinstance(value, list):
            raise ValueError(f"ECS attaches one EBS volume per task; give one mapping, not a list of {len(value)}")
        return value

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: Optional[str]) -> Optional[str]:
        return None if value is None else validation.arn(value, "kms", "key/")

    @model_validator(mode="after")
    def _limits(self) -> "EbsVolumeSettings":
        problem = ebs_volume_problem(self.args())
        if problem:
            key, _, message = problem.partition(" ")
            raise KeyProblem(to_camel(key.removeprefix("ebs_volume.")), message)
        return self

    def args(self) -> EbsVolume:
        return {k: v for k, v in self.model_dump().items() if v is not None}  # type: ignore[return-value]
