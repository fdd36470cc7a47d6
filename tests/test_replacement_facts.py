"""The replacement facts: which inputs force a replacement, regenerated from the provider's source by a committed
script, covering every resource type the stacks register."""

from __future__ import annotations

import importlib.util
import json
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from ecs_platform.testing import ProgramRun
from ecs_platform.toolchain.plan.replacements import DATA, covers, load, split

from .conftest import ROOT

SCRIPT = ROOT / "scripts" / "replacement_facts.py"
INDEX = Path("/work/.mirror/lonegunmanb+terraform-provider-aws-index/repo")


def _script():
    spec = importlib.util.spec_from_file_location("replacement_facts", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["replacement_facts"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_facts_cover_every_resource_type_the_stack_registers(stack: str, request) -> None:
    run: ProgramRun = request.getfixturevalue(stack)
    described = set(json.loads(DATA.read_text())["resources"])
    registered = {r.type for r in run.resources if r.custom or r.remote}
    assert registered - described == set()


def test_the_facts_describe_the_installed_provider() -> None:
    # A pulumi-aws upgrade changes what replaces what: regenerate with scripts/replacement_facts.py.
    assert json.loads(DATA.read_text())["provider"] == {"package": "pulumi-aws", "version": version("pulumi-aws")}


def test_every_fact_names_its_source() -> None:
    for type_, entry in json.loads(DATA.read_text())["resources"].items():
        assert all(f["source"] and f["how"] for f in entry["facts"]), type_


def test_a_fact_covers_the_paths_inside_it() -> None:
    pattern = split("encryptionConfigurations[*].kmsKey")
    assert covers(pattern, split("encryptionConfigurations[0].kmsKey"))
    assert not covers(pattern, split("encryptionConfigurations[0].encryptionType"))
    assert load().replaces("aws:lb/targetGroup:TargetGroup", split("port")) == ("port",)
    assert load().replaces("aws:lb/listenerRule:ListenerRule", split("priority")) is None


def test_a_conditional_fact_applies_only_when_its_condition_holds() -> None:
    facts = load()
    assert facts.replaces("aws:ec2/instance:Instance", ("userData",), {"userDataReplaceOnChange": True})
    assert facts.replaces("aws:ec2/instance:Instance", ("userData",), {}) is None


@pytest.mark.parametrize("constant, name", [
    ("names.AttrKMSKeyID", "kms_key_id"), ("names.AttrVPCID", "vpc_id"), ("names.AttrIAMRoleARN", "iam_role_arn"),
    ("names.AttrSecurityGroupIDs", "security_group_ids"), ("names.AttrIPv6CIDRBlock", "ipv6_cidr_block"),
    ("names.AttrName", "name"), ("names.AttrARNs", "arns"),
])
def test_attribute_constants_read_as_terraform_names(constant: str, name: str) -> None:
    assert _script().attr_name(constant) == name


SDK_RESOURCE = '''package ecr

func resourceRepository() *schema.Resource {
	return &schema.Resource{
		Schema: map[string]*schema.Schema{
			"encryption_configuration": {
				Type:     schema.TypeList,
				Optional: true,
				ForceNew: true,
				Elem: &schema.Resource{
					Schema: map[string]*schema.Schema{
						"kms_key": {
							Type:     schema.TypeString, // a comment with { braces }
							ForceNew: true,
						},
					},
				},
			},
			names.AttrName: {
				Type:     schema.TypeString,
				Required: true,
				ForceNew: true,
			},
			"force_delete": {
				Type:     schema.TypeBool,
				Optional: true,
			},
		},
	}
}
'''
FRAMEWORK_RESOURCE = '''package ec2

func (r *securityGroupRuleResource) Schema(ctx context.Context, request resource.SchemaRequest, response *resource.SchemaResponse) {
	response.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			"security_group_id": schema.StringAttribute{
				Required: true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.RequiresReplace(),
				},
			},
			"from_port": schema.Int64Attribute{
				Optional: true,
			},
		},
	}
}
'''
GENERATED = '''package {package}

func (p *servicePackage) SDKResources(ctx context.Context) []*inttypes.ServicePackageSDKResource {{
	return []*inttypes.ServicePackageSDKResource{{
{sdk}
	}}
}}

func (p *servicePackage) FrameworkResources(ctx context.Context) []*inttypes.ServicePackageFrameworkResource {{
	return []*inttypes.ServicePackageFrameworkResource{{
{framework}
	}}
}}

func (p *servicePackage) SDKDataSources(ctx context.Context) []*inttypes.ServicePackageSDKDataSource {{
	return nil
}}
'''


def _checkout(root: Path) -> Path:
    for package, source, sdk, framework in (
        ("ecr", SDK_RESOURCE, '\t\t{\n\t\t\tFactory:  resourceRepository,\n\t\t\tTypeName: "aws_ecr_repository",\n\t\t},',
         ""),
        ("ec2", FRAMEWORK_RESOURCE + "\nfunc newSecurityGroupIngressRuleResource() {\n\treturn &securityGroupRuleResource{}\n}\n",
         "", '\t\t{\n\t\t\tFactory:  newSecurityGroupIngressRuleResource,\n\t\t\tTypeName: "aws_vpc_security_group_ingress_rule",\n\t\t},'),
    ):
        folder = root / "internal" / "service" / package
        folder.mkdir(parents=True)
        (folder / "resource.go").write_text(source)
        (folder / "service_package_gen.go").write_text(GENERATED.format(package=package, sdk=sdk, framework=framework))
    return root


def test_force_new_attributes_of_an_sdk_resource_become_engine_paths_with_their_line(tmp_path: Path) -> None:
    script = _script()
    source = script.CheckoutSource(_checkout(tmp_path))
    facts, kind = script.facts_of(source, "aws:ecr/repository:Repository", "aws_ecr_repository")
    assert kind == "sdk"
    assert [(f["path"], f["terraform"], f["source"]) for f in facts] == [
        ("encryptionConfigurations[*]", "encryption_configuration", "internal/service/ecr/resource.go:9"),
        ("encryptionConfigurations[*].kmsKey", "encryption_configuration.kms_key",
         "internal/service/ecr/resource.go:14"),
        ("name", "name", "internal/service/ecr/resource.go:22"),
    ]


def test_requires_replace_of_a_framework_resource_is_a_fact_too(tmp_path: Path) -> None:
    script = _script()
    source = script.CheckoutSource(_checkout(tmp_path))
    facts, kind = script.facts_of(source, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                                  "aws_vpc_security_group_ingress_rule")
    assert kind == "framework"
    assert [(f["path"], f["how"]) for f in facts] == [("securityGroupId", "RequiresReplace")]


def test_an_attribute_the_sdk_does_not_have_stops_the_script(tmp_path: Path) -> None:
    script = _script()
    with pytest.raises(script.FactsError, match="no input 'not_an_input'"):
        script.pulumi_path("aws:ecr/repository:Repository", ("not_an_input",))


@pytest.mark.skipif(not INDEX.is_dir(), reason="the terraform-provider-aws index is not fetched on this machine")
def test_the_committed_facts_are_what_the_script_makes_of_the_provider_source(tmp_path: Path) -> None:
    script = _script()
    assert script.main(["--index", str(INDEX), "--upstream", "v6.58.0", "--check"]) == 0
