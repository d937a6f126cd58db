"""Plain data classes for the API: `HostCategoryDir` here is no mapped class, whatever its name."""
from dataclasses import dataclass, field
from typing import List


@dataclass
class Directory:
    name: str
    readable: bool = True


@dataclass
class HostCategoryDir:
    path: str
    directory: Directory
    up2date: bool = True


@dataclass
class HostCategory:
    name: str
    directories: List[HostCategoryDir] = field(default_factory=list)
